package operations

// SetCheckPage sets the state pass's page size for a test and returns
// the function that restores it.
func SetCheckPage(n int) func() {
	was := checkPage
	checkPage = n
	return func() { checkPage = was }
}
