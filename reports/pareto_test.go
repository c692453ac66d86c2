package reports

import (
	"math"
	"reflect"
	"testing"
)

// Fronts worked out by hand: latency minimised, value maximised unless said.
func TestFrontByHand(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name     string
		lat, val []float64
		sense    Sense
		want     []int
	}{
		{"empty", nil, nil, Maximize, nil},
		{"one", []float64{1}, []float64{5}, Maximize, []int{0}},
		{"chain", []float64{1, 2, 3}, []float64{1, 2, 3}, Maximize, []int{0, 1, 2}},
		{"one dominates all", []float64{1, 2, 3}, []float64{9, 2, 3}, Maximize, []int{0}},
		// (2,5) is dominated by (1,6); (4,7) by (3,8); front sorted by latency.
		{"mixed", []float64{3, 1, 2, 4, 5}, []float64{8, 6, 5, 7, 9}, Maximize, []int{1, 0, 4}},
		// Equal latency: the better value dominates the worse.
		{"latency tie", []float64{1, 1, 2}, []float64{3, 4, 5}, Maximize, []int{1, 2}},
		// Equal value: the faster dominates the slower.
		{"value tie", []float64{1, 2, 3}, []float64{4, 4, 5}, Maximize, []int{0, 2}},
		// Exact duplicates of a front point are both on it (neither is strictly better).
		{"duplicates on front", []float64{2, 1, 2, 1}, []float64{5, 3, 5, 3}, Maximize, []int{1, 3, 0, 2}},
		// Duplicates of a dominated point are both off it.
		{"duplicates dominated", []float64{1, 2, 2}, []float64{5, 4, 4}, Maximize, []int{0}},
		{"minimise", []float64{1, 2, 3, 4}, []float64{4, 2, 3, 1}, Minimize, []int{0, 1, 3}},
		{"NaN left off", []float64{1, nan, 3, 2}, []float64{1, 9, nan, 2}, Maximize, []int{0, 3}},
		{"Inf left off", []float64{1, 2}, []float64{math.Inf(1), 2}, Maximize, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Front(tc.lat, tc.val, tc.sense)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Front = %v, want %v", got, tc.want)
			}
		})
	}
}

// An independent check on random points: a point is on the front exactly
// when no other point is at least as good in both coordinates and better in
// one, counted by brute force over pairs written out separately.
func TestFrontAgainstBruteForce(t *testing.T) {
	lat := []float64{5, 3, 8, 3, 1, 9, 4, 4, 7, 2, 6, 2}
	val := []float64{2, 7, 9, 7, 1, 9, 8, 6, 9, 3, 8, 1}
	on := map[int]bool{}
	for _, i := range Front(lat, val, Maximize) {
		on[i] = true
	}
	for i := range lat {
		beaten := false
		for j := range lat {
			if (lat[j] < lat[i] && val[j] >= val[i]) || (lat[j] <= lat[i] && val[j] > val[i]) {
				beaten = true
			}
		}
		if on[i] == beaten {
			t.Errorf("point %d (%v, %v): on front %v, beaten %v", i, lat[i], val[i], on[i], beaten)
		}
	}
}

func TestDominates(t *testing.T) {
	if !Dominates(1, 2, 2, 2, Maximize) || Dominates(1, 2, 1, 2, Maximize) || Dominates(2, 3, 1, 2, Maximize) {
		t.Error("Dominates(maximise) wrong")
	}
	if !Dominates(1, 1, 1, 2, Minimize) || Dominates(1, 2, 1, 1, Minimize) {
		t.Error("Dominates(minimise) wrong")
	}
}

func TestFrontPointsUsesMetric(t *testing.T) {
	f := ParetoFigure{Metric: MetricMACs, Points: []ParetoPoint{
		{Name: "a", LatencyMS: 1, MACs: 1e9, Params: 9e6},
		{Name: "b", LatencyMS: 2, MACs: 3e9, Params: 1e6},
		{Name: "c", LatencyMS: 3, MACs: 2e9, Params: 8e6},
	}}
	var names []string
	for _, p := range f.FrontPoints() {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("MACs front %v", names)
	}
	f.Metric = MetricParams
	names = nil
	for _, p := range f.FrontPoints() {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{"a"}) {
		t.Errorf("params front %v", names)
	}
}
