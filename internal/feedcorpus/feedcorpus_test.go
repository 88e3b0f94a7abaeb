package feedcorpus

import "testing"

func TestInputs(t *testing.T) {
	in := Inputs(t)
	t.Log(len(in))
	if len(in) < 500 {
		t.Errorf("%d inputs", len(in))
	}
}
