package chatws

// DefaultProtocol is the protocol a zero Protocol speaks: the Featherweight chat orchestrator.
const DefaultProtocol = ProtoFeatherweight

// EffectiveName is the protocol the codec speaks (and the "protocol" tag): Name when set;
// otherwise ProtoCustom when any custom mapping field is set, else DefaultProtocol.
func (p Protocol) EffectiveName() string {
	switch {
	case p.Name != "":
		return p.Name
	case p.IsCustomMapping():
		return ProtoCustom
	default:
		return DefaultProtocol
	}
}

// IsCustomMapping reports whether p sets a field that only the custom mapping reads (type, token,
// done or error values, or a field path).
func (p Protocol) IsCustomMapping() bool {
	return len(p.TokenTypes) > 0 || len(p.DoneTypes) > 0 || len(p.ErrorTypes) > 0 ||
		p.TypeField != "" || p.TextField != "" || p.ErrorField != "" || p.PromptField != "" || p.UsageField != ""
}

// InferName returns p with Name set to ProtoCustom when p has no name but describes a custom
// mapping (so {tokenTypes: [...], doneTypes: [...]} needs no name); otherwise p unchanged.
func (p Protocol) InferName() Protocol {
	if p.Name == "" && p.IsCustomMapping() {
		p.Name = ProtoCustom
	}
	return p
}
