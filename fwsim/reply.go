package fwsim

import (
	"hash/fnv"
)

// Replies are a deterministic function of (seed, prompt): a word stream chosen by a PRNG seeded
// from an FNV-1a hash, cut into tokens of exactly Config.TokenBytes characters.

//nolint:gochecknoglobals // a read-only lookup table indexed per token; a function would copy it per call
var words = [...]string{
	"the", "loop", "runs", "at", "one", "hundred", "hertz", "and", "every", "tick", "counts",
	"a", "stream", "of", "tokens", "flows", "to", "client", "while", "server", "keeps", "time",
	"light", "feather", "weight", "thought", "signal", "quiet", "bright", "model", "answer",
	"question", "river", "stone", "window", "morning", "echo", "pulse", "orbit", "garden",
	"measure", "latency", "first", "token", "steady", "rhythm", "socket", "frame", "is", "in",
	"we", "can", "see", "how", "it", "goes", "with", "more", "than", "enough", "calm", "load",
	"test", "ready",
}

// splitmix64 is a tiny, good-enough PRNG for reply text.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// replyGen yields the characters of one reply.
type replyGen struct {
	rng  splitmix64
	word string
	pos  int // next char of word; len(word) means "a space comes next"
	sent bool
}

func newReplyGen(seed int64, prompt string) replyGen {
	h := fnv.New64a()
	_, _ = h.Write([]byte(prompt))
	// The seed's bits are mixed into the hash: a negative seed wrapping is intended.
	g := replyGen{rng: splitmix64(h.Sum64() ^ uint64(seed)*0x9e3779b97f4a7c15)} // #nosec G115 -- bit reinterpretation

	g.word = words[g.rng.next()%uint64(len(words))]
	return g
}

// appendToken appends the next n characters of the reply.
func (g *replyGen) appendToken(b []byte, n int) []byte {
	for range n {
		if g.pos >= len(g.word) {
			g.word = words[g.rng.next()%uint64(len(words))]
			g.pos = 0
			b = append(b, ' ')
			continue
		}
		c := g.word[g.pos]
		if !g.sent && g.pos == 0 {
			c -= 'a' - 'A' // capitalise the reply's first letter
		}
		g.sent = true
		b = append(b, c)
		g.pos++
	}
	return b
}
