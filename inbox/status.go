package inbox

// Status is a conversation's detailed status: the nine of the product.
type Status string

// Detailed statuses, in the product's order.
const (
	StatusNew          Status = "new"           // 1: client wrote first, nobody answered yet
	StatusQueued       Status = "queued"        // 2: forwarded to another agent, group or line
	StatusAccepted     Status = "accepted"      // 3: an agent pressed Answer, no reply yet
	StatusWaiting      Status = "waiting"       // 4: client waits for the agent's answer
	StatusWaitingAgain Status = "waiting_again" // 5: client asked again after an answer
	StatusAnswered     Status = "answered"      // 6: the last message is the agent's
	StatusClosing      Status = "closing"       // 7: waiting for the client's rating
	StatusClosed       Status = "closed"        // 8: closed
	StatusSpam         Status = "spam"          // 9: force-closed as spam
)

// GeneralStatus is the three-valued summary of a detailed status.
type GeneralStatus string

// General statuses.
const (
	GeneralWaiting  GeneralStatus = "waiting"
	GeneralAnswered GeneralStatus = "answered"
	GeneralClosed   GeneralStatus = "closed"
)

var statusCodes = map[Status]int{
	StatusNew: 1, StatusQueued: 2, StatusAccepted: 3, StatusWaiting: 4, StatusWaitingAgain: 5,
	StatusAnswered: 6, StatusClosing: 7, StatusClosed: 8, StatusSpam: 9,
}

// Statuses lists the detailed statuses in order.
var Statuses = []Status{
	StatusNew, StatusQueued, StatusAccepted, StatusWaiting, StatusWaitingAgain,
	StatusAnswered, StatusClosing, StatusClosed, StatusSpam,
}

// ActiveStatuses are statuses 1–6.
var ActiveStatuses = Statuses[:6]

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := statusCodes[s]; return ok }

// Code is the status's number, 1 to 9.
func (s Status) Code() int { return statusCodes[s] }

// Active reports whether s is one of statuses 1–6.
func (s Status) Active() bool { c := s.Code(); return c >= 1 && c <= 6 }

// General maps a detailed status to its general status.
func (s Status) General() GeneralStatus {
	switch {
	case s == StatusAnswered:
		return GeneralAnswered
	case s.Active():
		return GeneralWaiting
	default:
		return GeneralClosed
	}
}

// Valid reports whether g is a known general status.
func (g GeneralStatus) Valid() bool {
	return g == GeneralWaiting || g == GeneralAnswered || g == GeneralClosed
}
