//go:build testclock

package main

import (
	"fmt"
	"os"
	"time"
)

// clock, in the kubectl-dbu-testclock build the ITs run, is the wall clock shifted by DBU_TEST_CLOCK_OFFSET (a Go
// duration): the offset of the test's operator clock (testing/TestClock), so ages and RPO checks agree with it.
func clock() (func() time.Time, error) {
	offset, err := time.ParseDuration(os.Getenv("DBU_TEST_CLOCK_OFFSET"))
	if err != nil {
		return nil, fmt.Errorf("the testclock build needs DBU_TEST_CLOCK_OFFSET (a duration such as -86400000ms): %w", err)
	}
	return func() time.Time { return time.Now().Add(offset) }, nil
}
