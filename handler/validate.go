package handler

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
)

// awsDateTimeExample is shown to clients whose createdAt is not an AWSDateTime.
const awsDateTimeExample = "2022-04-26T03:17:32.099054303Z"

// awsDateTimeShape is the lexical form of an AWSDateTime: a date and time to
// the second, an optional fraction of 1 to 9 digits, and a required offset of
// Z, ±hh:mm or ±hh:mm:ss. Ranges are checked by validAWSDateTime.
var awsDateTimeShape = regexp.MustCompile(
	`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2})(?::(\d{2}))?)$`)

// validAWSDateTime reports whether s is an AWSDateTime, as Panther sends in
// createdAt: for example 2022-04-26T03:17:32.099054303Z or
// 2020-10-13T03:35:24-08:00:00. The date and time must exist (no month 13,
// no February 30, no hour 24, no leap second) and an offset is required.
func validAWSDateTime(s string) bool {
	m := awsDateTimeShape.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	if _, err := time.Parse("2006-01-02T15:04:05", s[:len("2006-01-02T15:04:05")]); err != nil {
		return false
	}
	// m[1:4] are the offset's hours, minutes and seconds ("" when absent).
	return inRange(m[1], 23) && inRange(m[2], 59) && inRange(m[3], 59)
}

// inRange reports whether a string of up to two ASCII digits is at most max;
// "" is in range.
func inRange(digits string, max int) bool {
	n := 0
	for _, c := range digits {
		n = n*10 + int(c-'0')
	}
	return n <= max
}

// newValidator returns the validator the handler holds: JSON field names in
// errors, and the awsdatetime rule.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	// RegisterValidation fails only for an empty tag or a nil function.
	if err := v.RegisterValidation("awsdatetime", func(fl validator.FieldLevel) bool {
		return validAWSDateTime(fl.Field().String())
	}); err != nil {
		panic(err)
	}
	return v
}

// fieldErrors turns a validator error into one fieldError per failed field,
// named by its JSON name, in the order of the request type's fields. It
// returns nil for any other error.
func fieldErrors(err error) []fieldError {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil
	}
	out := make([]fieldError, 0, len(verrs))
	for _, fe := range verrs {
		out = append(out, fieldError{Field: fe.Field(), Message: ruleMessage(fe)})
	}
	return out
}

// ruleMessage says in words what a failed rule asks for.
func ruleMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required and must not be empty"
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "awsdatetime":
		return "must be an AWSDateTime such as " + awsDateTimeExample
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}
