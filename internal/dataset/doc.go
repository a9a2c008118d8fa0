// Package dataset loads conversations for a chat load test from JSONL, one conversation per line,
// and keeps only what a load test sends: each conversation's human turns, in order, unchanged.
//
// Two line shapes are read:
//
//	{"conversations":[{"from":"human","value":"..."},{"from":"gpt","value":"..."}]}   (ShareGPT)
//	{"turns":["...","..."]}                                                           (plain)
//
// In ShareGPT lines the turns whose "from" is "human" or "user" are the prompts; every other
// speaker (gpt, assistant, system, ...) is dropped at load. In plain lines every turn is a prompt.
// Other keys on a line (such as ShareGPT's "id") are ignored. Blank lines are skipped; a line that
// is not a JSON object of one of those shapes is a *LineError naming the file and line. A
// conversation with no non-empty human turn is skipped and counted (Dataset.Skipped); a file with
// no conversation left is ErrEmpty, or ErrNoHumanTurns when it had lines but none with a prompt.
//
// A Dataset is read-only once loaded and safe for concurrent use: a k6 process loads a file once
// and every VU reads the same Dataset. Its storage is the prompts' text plus a string header and
// an index entry per turn, so its memory is below the size of the file it came from.
package dataset
