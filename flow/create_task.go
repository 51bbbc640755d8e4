package flow

// CreateTask creates a task contact through Host.CreateTask; its contact ID is
// available as $.Task.ContactId. Source: contact-actions-createtask (parameters as
// exported by the console; StartTaskContact API shapes).
//
//	{"Identifier": "follow-up", "Type": "CreateTask",
//	 "Parameters": {"Name": "Call back $.Attributes.name", "Description": "Requested a call back",
//	   "ContactFlowId": "arn:aws:connect:...:contact-flow/tasks", "Attributes": {"reason": "callback"}},
//	 "Transitions": {"NextAction": "thanks", "Errors": [{"ErrorType": "NoMatchingError", "NextAction": "thanks"}]}}
//
// Without a Host it takes NoMatchingError with a "tasks" capability note.
func createTask() actionSpec {
	return actionSpec{
		info: ActionInfo{Type: "CreateTask", Category: "contact", Status: StatusExecuted, Summary: "Creates a task contact through the host; its ID lands in $.Task.ContactId."},
		params: []paramRule{{name: "Name", kind: pText, required: true}, {name: "Description", kind: pText}, {name: "ContactFlowId", kind: pText},
			{name: "TaskTemplateId", kind: pText}, {name: "Attributes", kind: pObject}, {name: "References", kind: pObject}, {name: "DelaySeconds", kind: pInt, min: 0}},
		run: func(r *runner, a *Action) step {
			if r.e.cfg.Host == nil {
				return r.missing(a, "tasks")
			}
			p := a.Parameters
			t := TaskRequest{SourceContactID: r.s.Contact.ContactID, DelaySeconds: r.intParam(p, "DelaySeconds", 0)}
			t.Name, _, _ = r.param(p, "Name")
			t.Description, _, _ = r.param(p, "Description")
			t.ContactFlowID, _, _ = r.param(p, "ContactFlowId")
			t.TaskTemplateID, _, _ = r.param(p, "TaskTemplateId")
			if attrs, ok := paramObject(p, "Attributes"); ok {
				t.Attributes = make(map[string]string, len(attrs))
				for k, v := range attrs {
					s, _ := scalarString(v)
					t.Attributes[k], _ = r.text(s)
				}
			}
			if refs, ok := paramObject(p, "References"); ok {
				t.References = make(map[string]Reference, len(refs))
				for k, v := range refs {
					m, _ := v.(map[string]any)
					var ref Reference
					ref.Value, _, _ = r.param(m, "Value")
					ref.Type, _, _ = r.param(m, "Type")
					t.References[k] = ref
				}
			}
			id, err := r.e.cfg.Host.CreateTask(r.ctx, t)
			if err != nil {
				return fail(ErrNoMatchingError)
			}
			r.s.setData("Task", "ContactId", id)
			r.res.Created = append(r.res.Created, id)
			return ok()
		},
	}
}
