// Package runstats keeps the statistics of a whole run in memory that grows with the number of
// distinct series (a metric and one set of tags), never with the number of samples: a Trend is a
// DDSketch (github.com/DataDog/sketches-go) with exact count, sum, min and max and percentiles
// within RelativeAccuracy of the exact value, a Counter its sum, a Rate its trues and total, a
// Gauge its last, min and max value. It knows nothing of k6: the binding feeds it the samples the
// extension emits and renders its Values in k6's summary vocabulary (avg, med, p(95), count, rate).
package runstats
