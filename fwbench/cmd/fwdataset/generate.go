package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
)

// Format is the shape of a dataset line.
type Format string

// The line shapes the bundled scenario reads.
const (
	ShareGPT Format = "sharegpt" // {"id":...,"conversations":[{"from":"human","value":...},{"from":"gpt",...}]}
	Turns    Format = "turns"    // {"turns":["...","..."]}
)

// Options say what Generate writes.
type Options struct {
	Conversations int    // lines to write (> 0)
	Seed          uint64 // the same seed writes the same bytes
	Format        Format // ShareGPT (default) or Turns
}

func (o *Options) validate() error {
	if o.Format == "" {
		o.Format = ShareGPT
	}
	if o.Format != ShareGPT && o.Format != Turns {
		return fmt.Errorf("-format %q: expected %s or %s", o.Format, ShareGPT, Turns)
	}
	if o.Conversations <= 0 {
		return fmt.Errorf("-n %d: expected at least 1 conversation", o.Conversations)
	}
	return nil
}

type message struct {
	From  string `json:"from"`
	Value string `json:"value"`
}

type shareGPTLine struct {
	ID            string    `json:"id"`
	Conversations []message `json:"conversations"`
}

type turnsLine struct {
	Turns []string `json:"turns"`
}

// Generate writes opts.Conversations lines of JSONL to w.
func Generate(w io.Writer, opts Options) error {
	if err := opts.validate(); err != nil {
		return err
	}
	g := generator{r: rand.New(rand.NewPCG(opts.Seed, 0x66776461746173))} // #nosec G404 -- repeatable text, not secrets
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range opts.Conversations {
		c := g.conversation()
		var line any
		if opts.Format == Turns {
			var t turnsLine
			for _, m := range c {
				if m.From == "human" {
					t.Turns = append(t.Turns, m.Value)
				}
			}
			line = t
		} else {
			line = shareGPTLine{ID: fmt.Sprintf("fw-%06d", i), Conversations: c}
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

// generator makes conversations from the vocabulary below with one seeded source.
type generator struct {
	r *rand.Rand
}

// humanTurns is the distribution of human turns per conversation (index+1 turns).
var humanTurns = []float64{0.35, 0.25, 0.18, 0.10, 0.07, 0.05} //nolint:gochecknoglobals // a constant table

func (g *generator) pick(list []string) string { return list[g.r.IntN(len(list))] }

// lognormal draws a length with median m and shape sigma, at least lo.
func (g *generator) lognormal(m, sigma float64, lo int) int {
	return max(lo, int(m*math.Exp(sigma*g.r.NormFloat64())))
}

func (g *generator) weighted(w []float64) int {
	x := g.r.Float64()
	for i, p := range w {
		if x < p {
			return i
		}
		x -= p
	}
	return len(w) - 1
}

// conversation is one ShareGPT conversation: an optional system turn, then human/gpt pairs.
func (g *generator) conversation() []message {
	n := 1 + g.weighted(humanTurns)
	topic := g.pick(topics)
	var c []message
	if g.r.IntN(10) == 0 {
		c = append(c, message{From: "system", Value: g.pick(systems)})
	}
	for t := range n {
		c = append(c, message{From: "human", Value: g.prompt(topic, t)},
			message{From: "gpt", Value: g.reply(topic)})
	}
	return c
}

// prompt is a human turn: a question on the topic, sometimes with pasted context that makes it
// long (median about 90 characters, a long tail past 1,000).
func (g *generator) prompt(topic string, turn int) string {
	var b strings.Builder
	if turn == 0 {
		b.WriteString(g.pick(asks) + " " + topic + g.pick(endings))
	} else {
		b.WriteString(g.pick(followUps) + g.pick(endings))
	}
	target := g.lognormal(90, 0.9, 12)
	for b.Len() < target {
		switch g.r.IntN(6) {
		case 0:
			b.WriteString("\n\n```\n" + g.code() + "\n```")
		case 1:
			b.WriteString("\n" + g.logLines())
		case 2:
			b.WriteString(" " + g.pick(quoted))
		default:
			b.WriteString(" " + g.sentence(topic))
		}
	}
	return b.String()
}

// reply is a gpt turn: a few sentences on the topic (median about 160 characters).
func (g *generator) reply(topic string) string {
	var b strings.Builder
	b.WriteString(g.pick(openers))
	target := g.lognormal(160, 0.6, 40)
	for b.Len() < target {
		b.WriteString(" " + g.sentence(topic))
	}
	return b.String()
}

func (g *generator) sentence(topic string) string {
	return fmt.Sprintf(g.pick(sentences), topic, g.pick(nouns), g.pick(numbers))
}

func (g *generator) code() string {
	return fmt.Sprintf(g.pick(codeLines), g.pick(nouns), g.r.IntN(1000))
}

func (g *generator) logLines() string {
	var b strings.Builder
	for i := range 1 + g.r.IntN(4) {
		fmt.Fprintf(&b, "2026-01-%02dT10:%02d:%02d.%03dZ %s %s latency=%dms\n", 1+g.r.IntN(28), i, g.r.IntN(60),
			g.r.IntN(1000), g.pick(levels), g.pick(nouns), g.r.IntN(5000))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
