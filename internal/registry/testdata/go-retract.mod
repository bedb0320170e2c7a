// Deprecated: use example.com/new instead.
module example.com/old

go 1.21

retract (
	v1.0.1 // Published with a bug that deletes data.
	[v1.1.0, v1.1.3]
)
