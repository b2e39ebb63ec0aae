//go:build !race

package geo_test

// slowdown scales the time bounds of tests: the race detector makes code
// several times slower.
const slowdown = 1
