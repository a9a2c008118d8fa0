package dataset

import (
	"math/rand/v2"
	"sync/atomic"
)

// Order is a seeded permutation of a dataset's conversations: session k of a run takes
// conversation Index(k), so two runs with one seed send the same conversations to the same
// session numbers. After Len() sessions the order repeats.
type Order struct {
	perm []uint32
}

// NewOrder returns the permutation of n conversations for seed.
func NewOrder(n int, seed uint64) Order {
	perm := make([]uint32, n)
	for i := range perm {
		perm[i] = uint32(i) // #nosec G115 -- n is a dataset's length, bounded by its file's size
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) // #nosec G404 -- a repeatable order, not a secret
	r.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	return Order{perm: perm}
}

// Index is the conversation for session k.
func (o Order) Index(k uint64) int {
	return int(o.perm[k%uint64(len(o.perm))])
}

// Usage counts the distinct conversations handed out, safely from many goroutines.
type Usage struct {
	seen  []atomic.Bool
	count atomic.Int64
}

// NewUsage tracks n conversations.
func NewUsage(n int) *Usage {
	return &Usage{seen: make([]atomic.Bool, n)}
}

// Mark records that conversation i was used.
func (u *Usage) Mark(i int) {
	if !u.seen[i].Swap(true) {
		u.count.Add(1)
	}
}

// Count is how many distinct conversations were marked.
func (u *Usage) Count() int { return int(u.count.Load()) }
