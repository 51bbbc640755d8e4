package flow

import "sync"

import "sort"

// builtinSpecs lists every action Type the package knows, one line per action file.
// Adding an action means adding its file, one line here and its golden test file.
func builtinSpecs() []actionSpec {
	return []actionSpec{
		// participant actions
		messageParticipant(),
		getParticipantInput(),
		connectParticipantWithLexBot(),
		messageParticipantIteratively(),
		disconnectParticipant(),
		transferParticipantToThirdParty(),
		showView(),
		// contact actions
		updateContactTargetQueue(),
		transferContactToQueue(),
		dequeueContactAndTransferToQueue(),
		transferContactToAgent(),
		updateContactAttributes(),
		updateContactCallbackNumber(),
		updateContactEventHooks(),
		updateContactRecordingBehavior(),
		updateContactRecordingAndAnalyticsBehavior(),
		updateContactMediaStreamingBehavior(),
		updateContactRoutingBehavior(),
		updateContactTextToSpeechVoice(),
		updatePreviousContactParticipantState(),
		completeOutboundCall(),
		updateContactData(),
		invokeFlowModule(),
		endFlowModuleExecution(),
		tagContact(),
		unTagContact(),
		createTask(),
		createCase(),
		getCase(),
		updateCase(),
		createWisdomSession(),
		resumeContact(),
		startOutboundChatContact(),
		updateContactMediaProcessing(),
		// flow-control actions
		compare(),
		checkHoursOfOperation(),
		checkMetricData(),
		getMetricData(),
		loop(),
		distributeByPercentage(),
		transferToFlow(),
		endFlowExecution(),
		updateFlowLoggingBehavior(),
		updateFlowAttributes(),
		waitAction(),
		updateRoutingCriteria(),
		updateContactRoutingCriteria(),
		checkVoiceId(),
		startVoiceIdStream(),
		checkOutboundCallStatus(),
		// interactions
		invokeLambdaFunction(),
		createCallbackContact(),
		getCustomerProfile(),
		createCustomerProfile(),
		updateCustomerProfile(),
		associateContactToCustomerProfile(),
		getCustomerProfileObject(),
		getCalculatedAttributesForCustomerProfile(),
	}
}

// sharedSpecs is the action index every Engine reads; it is built once and never written.
var sharedSpecs = sync.OnceValue(specIndex)

func specIndex() map[string]*actionSpec {
	list := builtinSpecs()
	m := make(map[string]*actionSpec, len(list))
	for i := range list {
		m[list[i].info.Type] = &list[i]
	}
	return m
}

// Actions describes every supported action Type, sorted by Type.
func Actions() []ActionInfo {
	list := builtinSpecs()
	out := make([]ActionInfo, 0, len(list))
	for _, s := range list {
		out = append(out, s.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}
