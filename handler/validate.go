package handler

import (
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// maxIDChars caps alertId and id. Panther's alert IDs are 32 hex
// characters and its detection IDs are dotted names such as
// AWS.Console.RootLogin; 128 leaves room for what Panther may send
// without letting an ID outgrow the database indexes that hold it.
const maxIDChars = 128

// validateWebhook checks req against what the store can hold on every
// backend: the validator's rules, then identifiers (alertId and id) that
// are non-blank, printable, valid UTF-8 and at most maxIDChars, and no NUL
// in any string. It returns one fieldError per failed field, in the order
// of the request's fields, or an error when the validator itself failed.
func (s *server) validateWebhook(req webhookRequest) ([]fieldError, error) {
	failed := map[string]string{}
	if err := s.validate.Struct(req); err != nil {
		fields := fieldErrors(err)
		if fields == nil {
			return nil, err
		}
		for _, f := range fields {
			if _, ok := failed[f.Field]; !ok {
				failed[f.Field] = f.Message
			}
		}
	}
	check := func(field, msg string) {
		if _, ok := failed[field]; !ok && msg != "" {
			failed[field] = msg
		}
	}
	check("alertId", identifierProblem(req.AlertID))
	check("id", identifierProblem(req.ID))
	for field, v := range map[string]string{
		"severity": req.Severity, "createdAt": req.CreatedAt, "type": req.Type,
		"title": req.Title, "name": req.Name, "link": req.Link,
	} {
		if strings.ContainsRune(v, 0) {
			check(field, nulMessage)
		}
	}
	for _, tag := range req.Tags {
		if strings.ContainsRune(tag, 0) {
			check("tags", nulMessage)
		}
	}
	if len(failed) == 0 {
		return nil, nil
	}
	out := make([]fieldError, 0, len(failed))
	for _, field := range webhookFields {
		if msg, ok := failed[field]; ok {
			out = append(out, fieldError{Field: field, Message: msg})
		}
	}
	return out, nil
}

// nulMessage is the answer for a string holding U+0000, which PostgreSQL
// cannot store in text.
const nulMessage = "must not contain NUL (\\u0000)"

// webhookFields are the JSON names of webhookRequest's fields, in order.
var webhookFields = func() []string {
	t := reflect.TypeFor[webhookRequest]()
	out := make([]string, t.NumField())
	for i := range t.NumField() {
		out[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return out
}()

// identifierProblem says what is wrong with an alertId or id, "" when
// nothing is (an empty one is the validator's "required").
func identifierProblem(id string) string {
	switch {
	case id == "":
		return ""
	case strings.TrimSpace(id) == "":
		return "must not be blank"
	case strings.ContainsRune(id, 0):
		return nulMessage
	case !utf8.ValidString(id) || strings.ContainsRune(id, utf8.RuneError):
		// JSON decoding turns invalid UTF-8 and lone surrogate escapes into
		// U+FFFD: two different IDs would read the same.
		return "must be valid UTF-8 without U+FFFD"
	case utf8.RuneCountInString(id) > maxIDChars:
		return "must be at most " + strconv.Itoa(maxIDChars) + " characters"
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return "must be printable (no control characters, tabs or line breaks)"
		}
	}
	return ""
}
