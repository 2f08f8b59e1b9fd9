package store

import "database/sql"

// scanner is what a row scan reads from: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// scanAll reads every row of a query's result with scan and closes the rows. It takes the
// query's error too, so that listing is: rows, err := db.read.QueryContext(...); return
// scanAll(rows, err, scanX).
func scanAll[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
