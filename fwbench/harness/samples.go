package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Sample is one metric point k6 wrote with --out json.
type Sample struct {
	Metric string
	Value  float64
	Tags   map[string]string
}

// ReadSamplesFile reads the points of a k6 --out json file.
func ReadSamplesFile(path string) ([]Sample, error) {
	f, err := os.Open(path) // #nosec G304 -- the --out json file the run named
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	return ReadSamples(f)
}

// ReadSamples reads the points of k6's --out json lines (metric declarations are skipped).
func ReadSamples(r io.Reader) ([]Sample, error) {
	var samples []Sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Value float64           `json:"value"`
				Tags  map[string]string `json:"tags"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return samples, fmt.Errorf("k6 --out json line %d: %w", n, err)
		}
		if line.Type == "Point" {
			samples = append(samples, Sample{Metric: line.Metric, Value: line.Data.Value, Tags: line.Data.Tags})
		}
	}
	return samples, sc.Err()
}

// Samples are the points of one k6 run, with selectors.
type Samples []Sample

// Where selects the samples of metric whose tags include every key=value pair given.
func (ss Samples) Where(metric string, tagPairs ...string) Samples {
	var out Samples
next:
	for _, s := range ss {
		if s.Metric != metric {
			continue
		}
		for i := 0; i+1 < len(tagPairs); i += 2 {
			if s.Tags[tagPairs[i]] != tagPairs[i+1] {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// Sum adds the values of the selected samples.
func (ss Samples) Sum(metric string, tagPairs ...string) float64 {
	var sum float64
	for _, s := range ss.Where(metric, tagPairs...) {
		sum += s.Value
	}
	return sum
}

// Max is the largest value of the selected samples (0 when there are none).
func (ss Samples) Max(metric string, tagPairs ...string) float64 {
	var m float64
	for i, s := range ss.Where(metric, tagPairs...) {
		if i == 0 || s.Value > m {
			m = s.Value
		}
	}
	return m
}
