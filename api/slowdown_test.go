//go:build !race

package api_test

// slowdown scales the time bounds of tests: the race detector makes code
// several times slower.
const slowdown = 1

// raceDetector says whether the tests run under the race detector.
const raceDetector = false
