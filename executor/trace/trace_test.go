package trace

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEachFormatGivesOffsetsFromTheFirstRowAndTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		format     Format
		at         []time.Duration
		in, out    []int64
	}{
		{
			"azure", "TIMESTAMP,ContextTokens,GeneratedTokens\n" +
				"2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:15:50.9951690,5,0\n",
			Azure,
			[]time.Duration{0, 4314579000, 4314579000},
			[]int64{374, 396, 5},
			[]int64{44, 109, 0},
		},
		{
			"azure, columns in another order and CRLF", "GeneratedTokens,TIMESTAMP,ContextTokens\r\n7,2024-05-10 00:00:00,3\r\n8,2024-05-10 00:00:01.5,4\r\n",
			Azure,
			[]time.Duration{0, 1500 * time.Millisecond},
			[]int64{3, 4},
			[]int64{7, 8},
		},
		{
			"mooncake", `{"timestamp": 27482, "input_length": 6955, "output_length": 52, "hash_ids": [46, 47]}` + "\n\n" +
				`{"timestamp": 30535, "input_length": 6472, "output_length": 26, "hash_ids": [46]}` + "\n",
			Mooncake,
			[]time.Duration{0, 3053 * time.Millisecond},
			[]int64{6955, 6472},
			[]int64{52, 26},
		},
		{
			"burstgpt", "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n" +
				"5,ChatGPT,472,18,490,Conversation log\n45,GPT-4,1087,230,1317,API log\n",
			BurstGPT,
			[]time.Duration{0, 40 * time.Second},
			[]int64{472, 1087},
			[]int64{18, 230},
		},
		{
			"timestamps", "10.5\n10.75\n\n12\n", Timestamps,
			[]time.Duration{0, 250 * time.Millisecond, 1500 * time.Millisecond},
			[]int64{0, 0, 0},
			[]int64{0, 0, 0},
		},
	} {
		for _, f := range []Format{"", tc.format} { // detected, then named
			tr, err := Parse("t", []byte(tc.data), f)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.format, tr.Format, tc.name)
			require.Len(t, tr.Rows, len(tc.at), tc.name)
			for i, r := range tr.Rows {
				require.Equal(t, tc.at[i], r.At, "%s row %d", tc.name, i)
				require.Equal(t, tc.in[i], r.InputTokens, "%s row %d", tc.name, i)
				require.Equal(t, tc.out[i], r.OutputTokens, "%s row %d", tc.name, i)
			}
			require.Equal(t, tc.at[len(tc.at)-1], tr.Duration())
		}
	}
}

func TestFormatSpecificFieldsAndLinesAreKept(t *testing.T) {
	t.Parallel()
	tr, err := Parse("m.jsonl", []byte("\n"+`{"timestamp":1,"input_length":2,"output_length":3,"hash_ids":[9,8]}`), "")
	require.NoError(t, err)
	require.Equal(t, []int64{9, 8}, tr.Rows[0].HashIDs)
	require.Equal(t, 2, tr.Rows[0].Line)

	tr, err = Parse("b.csv", []byte("Timestamp,Model,Request tokens,Response tokens\n1,ChatGPT,1,1\n2,GPT-4,1,1\n3,GPT-4,1,1\n"), "")
	require.NoError(t, err)
	require.Equal(t, []string{"ChatGPT", "GPT-4", "GPT-4"}, []string{tr.Rows[0].Model, tr.Rows[1].Model, tr.Rows[2].Model})
	require.Equal(t, []int{2, 3, 4}, []int{tr.Rows[0].Line, tr.Rows[1].Line, tr.Rows[2].Line})
}

func TestABadRowIsAnErrorNamingTheFileAndLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data string
		format     Format
		want       string
	}{
		{"azure bad time", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\nyesterday,1,2\n", "", "f:3: TIMESTAMP \"yesterday\""},
		{"azure negative tokens", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,-1,2\n", "", "f:2: ContextTokens \"-1\" is not a token count"},
		{"azure short row", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1\n", "", "f:2: wrong number of fields"},
		{"azure header", "TIMESTAMP,ContextTokens\n2023-11-16 18:15:46,1\n", Azure, "f:1: the CSV header has no \"GeneratedTokens\" column"},
		{"burstgpt bad timestamp", "Timestamp,Model,Request tokens,Response tokens\n1,a,1,1\nx,a,1,1\n", "", "f:3: Timestamp \"x\" is not a number of seconds"},
		{"mooncake not json", `{"timestamp":1,"input_length":1,"output_length":1}` + "\n{oops\n", "", "f:2: not a Mooncake row"},
		{"mooncake missing field", `{"timestamp":1,"input_length":1}`, "", "f:1: output_length is missing"},
		{"mooncake fractional tokens", `{"timestamp":1,"input_length":1.5,"output_length":1}`, "", "f:1: input_length \"1.5\""},
		{"timestamps not a number", "1\n2\nthree\n", "", "f:3: timestamp \"three\" is not a number of seconds"},
		{"timestamps NaN", "1\nNaN\n", Timestamps, "f:2: timestamp \"NaN\" is not a number of seconds"},
		{"backwards", "1\n2\n1.5\n", "", "f:3: timestamp goes back in time (500ms before the row above)"},
		{"backwards azure", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\n2023-11-16 18:15:45,1,2\n", "", "f:3: timestamp goes back"},
		{"undetectable", "hello,world\n", "", "f: cannot tell the trace format"},
		{"wrong format named", "1\n2\n", Azure, "f:1: the CSV header has no \"TIMESTAMP\" column"},
	} {
		_, err := Parse("f", []byte(tc.data), tc.format)
		var le *LineError
		require.ErrorAs(t, err, &le, tc.name)
		require.Contains(t, err.Error(), tc.want, tc.name)
	}
}

func TestEmptyFilesAndUnknownFormatsAreErrors(t *testing.T) {
	t.Parallel()
	_, err := Parse("f", []byte("TIMESTAMP,ContextTokens,GeneratedTokens\n"), "")
	require.ErrorIs(t, err, ErrEmpty)
	_, err = Parse("f", []byte("\n\n"), Timestamps)
	require.ErrorIs(t, err, ErrEmpty)
	_, err = ParseFormat("azur")
	require.ErrorIs(t, err, ErrUnknownFormat)
	require.Contains(t, err.Error(), `"azur"`)
	f, err := ParseFormat("burstgpt")
	require.NoError(t, err)
	require.Equal(t, BurstGPT, f)
	require.True(t, BurstGPT.HasTokens())
	require.False(t, Timestamps.HasTokens())
}

func TestLoadParsesAFileOnceAndNamesAMissingOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.txt")
	require.NoError(t, os.WriteFile(path, []byte("0\n1\n"), 0o600))
	a, err := Load(path, "")
	require.NoError(t, err)
	b, err := Load(path, "")
	require.NoError(t, err)
	require.Same(t, a, b, "a file is parsed once per process")

	_, err = Load(filepath.Join(dir, "missing.csv"), "")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "missing.csv")
}

func TestTheShippedAzureExcerptParses(t *testing.T) {
	t.Parallel()
	tr, err := Load("../../examples/data/azure-llm-conv-2023-excerpt.csv", "")
	require.NoError(t, err)
	require.Equal(t, Azure, tr.Format)
	require.Len(t, tr.Rows, 500)
	require.Equal(t, int64(374), tr.Rows[0].InputTokens)
	require.Equal(t, int64(44), tr.Rows[0].OutputTokens)
}
