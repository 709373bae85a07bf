package handler

// DeliveryObserver is told the outcome of every webhook delivery, for
// metrics; package metrics implements it. It must be quick and safe for
// concurrent use.
type DeliveryObserver interface {
	// Delivery is called once per webhook request. outcome is queued,
	// duplicate, filtered, test or rejected; code is the error code a
	// rejected delivery was answered with (invalid_json, invalid_payload,
	// unauthorized, too_large, unavailable, internal), else empty.
	Delivery(outcome, code string)
}

// observeDelivery reports a delivery that was answered with status; what
// is the outcome or the error code the webhook recorded.
func (s *server) observeDelivery(status int, what string) {
	if s.cfg.Deliveries == nil {
		return
	}
	switch {
	case status >= 400:
		s.cfg.Deliveries.Delivery("rejected", what)
	case what == "":
		s.cfg.Deliveries.Delivery("unknown", "")
	default:
		s.cfg.Deliveries.Delivery(what, "")
	}
}
