package main

// The vocabulary every generated text is made of, written for this repository. Some entries carry
// quotes, backslashes, tabs and non-ASCII text on purpose: prompts must reach the backend unchanged.
//
//nolint:gochecknoglobals // constant word lists
var (
	topics = []string{
		"the 100 Hz loop", "websocket backpressure", "tail latency", "token streaming",
		"consistent hashing", "the CAP theorem", "TCP slow start", "load shedding", "circuit breakers",
		"p99 budgets", "the thundering herd", "rate limiting", "garbage collection pauses", "connection pools",
		"retry storms", "queueing theory", "Little's law", "head-of-line blocking", "cache stampedes",
		"event loops", "backoff with jitter", "admission control", "the café's order queue", "Zürich's tram schedule",
	}
	asks = []string{
		"Explain", "Summarise", "Give three facts about", "Write a short note on",
		"Compare two views of", "What is a common mistake with", "Teach a beginner", "How would you test",
		"Why does my service suffer from", "Draft a runbook entry for", "Can you help me debug",
		"List the trade-offs of", "Wie erkläre ich", "Expliquez-moi",
	}
	endings   = []string{".", "?", "!", " please.", " in two sentences.", " 🙂", "…", " — briefly."}
	followUps = []string{
		"Can you go deeper", "What about the failure case", "Give me an example",
		"How does that change at ten times the load", "Is there a simpler way", "Why", "Show it as a table",
		"What would you measure first", "And in production", "Rewrite that for an operator on call",
		"Thanks! One more question", "That did not work, the error says \"connection reset\"",
	}
	sentences = []string{
		"Consider %[1]s when the %[2]s grows past %[3]s.",
		"Our %[2]s shows %[3]s under %[1]s.",
		"I read that %[1]s hurts the %[2]s first; is that true at %[3]s?",
		"The dashboard says %[3]s for the %[2]s, which looks wrong.",
		"Here is what we see:\tthe %[2]s stalls every %[3]s.",
		"My colleague said \"%[1]s is never the problem\" but the %[2]s disagrees.",
		"A path like C:\\data\\%[2]s\\%[3]s shows up in the logs.",
		"Assume the %[2]s is fixed and only %[1]s changes.",
		"Le %[2]s dépasse %[3]s pendant %[1]s.",
		"負荷試験で %[2]s が %[3]s になりました。",
	}
	nouns = []string{
		"queue depth", "heap", "socket count", "loop frequency", "error budget", "token rate",
		"connection pool", "p95 latency", "retry counter", "worker pool", "GC pause", "write buffer",
		"scheduler", "health check", "ingress", "replica set",
	}
	numbers = []string{
		"95 Hz", "1,000 users", "40 ms", "2 s", "12%", "0.5%", "3 MiB", "800 req/s",
		"10,000 sessions", "99.9%", "250 µs", "7 retries",
	}
	quoted = []string{
		`The log says: {"level":"warn","msg":"slow tick"}.`, `It printed 'done' twice.`,
		`Quote: "latency is a distribution, not a number".`, `Path: /var/log/fw/loop.log`,
		"Emoji in the name: 🚀 launch-v2.", `Escapes: \n is not a newline here, \"neither\" is this.`,
	}
	codeLines = []string{
		"for (const %[1]s of items) { await send(%[2]d); }",
		"if latency > %[2]d*time.Millisecond {\n\tlog.Warn(\"slow %[1]s\")\n}",
		"SELECT count(*) FROM events WHERE kind = '%[1]s' AND ms > %[2]d;",
		"def tick(%[1]s):\n    return %[2]d / 100",
		"curl -s http://127.0.0.1:8080/metrics | grep %[1]s  # %[2]d",
	}
	levels  = []string{"INFO", "WARN", "ERROR", "DEBUG"}
	systems = []string{"You are a helpful assistant.", "Answer as a site reliability engineer.", "Be concise."}
	openers = []string{"Sure.", "Good question.", "Here is a short answer.", "Let's break it down.", "In short:"}
)
