package chatws

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProtocolInferNameAndEffectiveName(t *testing.T) {
	t.Parallel()
	require.Equal(t, ProtoFeatherweight, Protocol{}.EffectiveName())
	require.Equal(t, ProtoFeatherweight, Protocol{}.InferName().EffectiveName())
	require.Equal(t, ProtoOpenAI, Protocol{Name: ProtoOpenAI}.EffectiveName())
	for _, p := range []Protocol{
		{TokenTypes: []string{"t"}},
		{DoneTypes: []string{"d"}},
		{ErrorTypes: []string{"e"}},
		{TypeField: "k"},
		{TextField: "x"},
		{ErrorField: "x"},
		{PromptField: "x"},
		{UsageField: "n"},
	} {
		require.Equal(t, ProtoCustom, p.InferName().Name, "%+v", p)
	}
	// A name is never overridden, and options of other protocols do not make a mapping custom.
	require.Equal(t, ProtoText, Protocol{Name: ProtoText, TextField: "x"}.InferName().Name)
	require.Empty(t, Protocol{Model: "m", Request: "{}", EndSentinel: "x"}.InferName().Name)
}
