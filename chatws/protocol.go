package chatws

// DefaultProtocol is the protocol a zero Protocol speaks: the Featherweight chat orchestrator.
const DefaultProtocol = ProtoFeatherweight

// EffectiveName is the name of the protocol p speaks: p.Name, or DefaultProtocol when it is empty.
// It is the value of the "protocol" tag.
func (p Protocol) EffectiveName() string {
	if p.Name == "" {
		return DefaultProtocol
	}
	return p.Name
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
