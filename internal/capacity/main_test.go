package capacity

import (
	"os"
	"testing"

	"github.com/featherweight/xk6-featherweight/internal/capacity/capacitytest"
)

func TestMain(m *testing.M) {
	capacitytest.ServeIfAsked()
	os.Exit(m.Run())
}
