package aggregator

// SetBeforeValidators makes a's polls call f inside their transaction,
// after the items were saved and before the source's validators are.
func SetBeforeValidators(a *Aggregator, f func() error) { a.beforeValidators = f }
