//go:build !testclock

package main

import "time"

// clock is the wall clock; a build with the testclock tag shifts it to the clock a test runs the operator on.
func clock() (func() time.Time, error) { return time.Now, nil }
