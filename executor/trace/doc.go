// Package trace reads request traces (when each request came, and how many tokens it asked for
// and got) for the trace-arrival executor, which starts one iteration at each row's time.
//
// Formats, each as its publisher documents it:
//
//   - [Azure]: the Azure LLM inference traces (github.com/Azure/AzurePublicDataset,
//     AzureLLMInferenceDataset2023.md and 2024): CSV with the header TIMESTAMP, ContextTokens,
//     GeneratedTokens; TIMESTAMP is a date and time such as 2023-11-16 18:15:46.6805900 (UTC).
//   - [Mooncake]: the Mooncake traces (github.com/kvcache-ai/Mooncake, FAST'25 traces): JSON
//     lines {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}.
//   - [BurstGPT]: the BurstGPT traces (github.com/HPMLL/BurstGPT): CSV with the header
//     Timestamp, Model, Request tokens, Response tokens, Total tokens, Log Type; Timestamp is in
//     seconds.
//   - [Timestamps]: one number a line, seconds from the start (a team's own logs); no tokens.
//
// A row's offset is its timestamp minus the first row's. Rows must be in time order: a timestamp
// smaller than the one before is an error, never reordered. Every error names the file and line.
//
// A file is parsed once per process whatever the number of callers ([Load] caches it by path and
// format), because the executor and every VU of the k6 binding read the same rows.
package trace
