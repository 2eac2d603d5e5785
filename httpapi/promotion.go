package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/envpromote/envpromote/internal/uuid"
	"github.com/envpromote/envpromote/lock"
	"github.com/envpromote/envpromote/promotion"
)

// promotionRoutes mounts the AIC promotion endpoints. They are called on
// the upper environment, which knows its lower from its group.
func (s *Server) promotionRoutes() {
	aic := func(method, path string, op operation, lower bool, h promotionHandler) {
		s.handleAIC(method, "/environment/promotion"+path, s.aic(promotionAPI, ScopePromotion, op, lower, s.upper(h)))
	}
	read := func(path string, h promotionHandler) { aic("GET", path, opPromotionRead, false, h) }
	aic("POST", "/lock", opPromotionRun, true, s.lock)
	read("/lock/state", s.lockState)
	aic("DELETE", "/lock/{promotionId}", opPromotionRun, true, s.unlock)
	aic("POST", "/promote", opPromotionRun, true, s.promote)
	read("/promote", s.progress)
	aic("POST", "/rollback", opPromotionRun, true, s.rollback)
	read("/report", s.lastReport)
	read("/report/{reportId}", s.report)
	read("/reports", s.reports)
	// The provisional report shows the lower environment's configuration.
	aic("GET", "/report/provisional", opPromotionRead, true, s.provisionalReport)
	read("/report/provisional-rollback", s.provisionalRollbackReport)
}

type promotionHandler func(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error

// upper resolves the Promoter whose group has the called environment as
// an upper environment.
func (s *Server) upper(h promotionHandler) aicHandler {
	return func(w http.ResponseWriter, r *http.Request, c call) error {
		p, ok := s.routing(r.Context()).promoters[c.env]
		if !ok {
			return notFound("environment %s is not the upper environment of a promotion group; promotion calls are made on the upper environment", c.env)
		}
		return h(w, r, c, p)
	}
}

// lockStart is the body of the lock and unlock answers (the spec's
// promotionStartLocking, promotionStartUnlocking and promotionUnlocked).
type lockStart struct {
	PromotionID string     `json:"promotionId"`
	Result      lock.State `json:"result"`
	Description string     `json:"description"`
}

// lock locks the pair. The lock itself is granted before the answer,
// because the answer carries the promotion id and that is the id of the
// lease the Locker grants; it is one compare-and-set per environment.
func (s *Server) lock(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	if what, ok := s.ops.running(c.env); ok {
		return conflict("a %s is running for environment %s", what, c.env)
	}
	lease, err := p.Lock(r.Context(), "", c.env, c.principal.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, lockStart{PromotionID: lease.ID, Result: lock.StateLocked, Description: "Environments locked"})
	return nil
}

type envLockBody struct {
	PromotionID string     `json:"promotionId,omitempty"`
	State       lock.State `json:"state"`
}

type lockStateBody struct {
	Result      lock.State   `json:"result"`
	PromotionID string       `json:"promotionId,omitempty"`
	Description string       `json:"description,omitempty"`
	LowerEnv    *envLockBody `json:"lowerEnv,omitempty"`
	UpperEnv    *envLockBody `json:"upperEnv,omitempty"`
}

// lockState reports the pair's lock, or with localLockOnly the upper
// environment's alone.
func (s *Server) lockState(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	local, err := queryBool(r, "localLockOnly")
	if err != nil {
		return err
	}
	st, err := p.LockState(r.Context(), "", c.env)
	if err != nil {
		return err
	}
	upper := &envLockBody{PromotionID: st.Upper.PromotionID, State: st.Upper.State}
	body := lockStateBody{Result: st.Result, PromotionID: st.PromotionID, Description: st.Description, UpperEnv: upper}
	if local {
		body = lockStateBody{Result: upper.State, PromotionID: upper.PromotionID, UpperEnv: upper}
	} else {
		body.LowerEnv = &envLockBody{PromotionID: st.Lower.PromotionID, State: st.Lower.State}
	}
	// An unlock this server runs is over when its operation is, a moment
	// after the locks are released: until then the pair reads unlocking,
	// so a client that sees unlocked can lock again at once.
	if what, ok := s.ops.running(c.env); ok && what == "unlock" && body.Result == lock.StateUnlocked {
		body.Result = lock.StateUnlocking
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// unlock checks that the promotion id holds the pair, wholly or in part (a
// crash mid-lock or mid-unlock), answers 202 and unlocks in the background;
// lock/state shows when it is done.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	id := r.PathValue("promotionId")
	st, err := p.LockState(r.Context(), "", c.env)
	if err != nil {
		return err
	}
	if st.Result == lock.StateUnlocked || st.Result == lock.StateError || st.PromotionID != id {
		return conflict("Environment is not locked by promotion %s (lock state: %s)", id, st.Result)
	}
	err = s.ops.start(r.Context(), c.env, "unlock", func(ctx context.Context) {
		if err := p.Unlock(ctx, "", c.env, id); err != nil {
			s.log.ErrorContext(ctx, "unlock failed", "environment", c.env, "promotionId", id, "transactionId", txID(ctx), "err", err)
		}
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, lockStart{PromotionID: id, Result: lock.StateUnlocking, Description: "Environment unlocking in progress"})
	return nil
}

// promotionRequest is the spec's promotionRequest; rollbackRequest is the
// same without dryRun and ignoreEncryptedSecrets.
type promotionRequest struct {
	DryRun                 *bool  `json:"dryRun"`
	IgnoreEncryptedSecrets bool   `json:"ignoreEncryptedSecrets"`
	UnlockAfter            bool   `json:"unlockEnvironmentsAfterPromotion"`
	Promoter               string `json:"promoter"`
	Description            string `json:"promotionDescription"`
	TicketReference        string `json:"zendeskTicketReference"`
}

type rollbackRequest struct {
	UnlockAfter     bool   `json:"unlockEnvironmentsAfterPromotion"`
	Promoter        string `json:"promoter"`
	Description     string `json:"promotionDescription"`
	TicketReference string `json:"zendeskTicketReference"`
}

type startBody struct {
	Result string `json:"result"`
}

func (s *Server) promote(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	var body promotionRequest
	if err := decodeBody(r, s.maxBody, &body); err != nil {
		return err
	}
	if body.DryRun == nil {
		return missingField("dryRun")
	}
	req := promotion.Request{
		Upper: c.env, DryRun: *body.DryRun, IgnoreEncryptedSecrets: body.IgnoreEncryptedSecrets, UnlockAfter: body.UnlockAfter,
		Promoter: orDefault(body.Promoter, c.principal.ID), Description: body.Description, TicketReference: body.TicketReference,
	}
	if err := s.run(r.Context(), p, promotion.TypePromotion, req, p.Promote); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, startBody{Result: "Promotion started"})
	return nil
}

func (s *Server) rollback(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	var body rollbackRequest
	if err := decodeBody(r, s.maxBody, &body); err != nil {
		return err
	}
	req := promotion.Request{
		Upper: c.env, UnlockAfter: body.UnlockAfter,
		Promoter: orDefault(body.Promoter, c.principal.ID), Description: body.Description, TicketReference: body.TicketReference,
	}
	if err := s.run(r.Context(), p, promotion.TypeRollback, req, p.Rollback); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, startBody{Result: "Rollback started"})
	return nil
}

// run checks that the pair is locked and starts op in the background.
// Its outcome, success or failure, is what GET promote reports.
func (s *Server) run(ctx context.Context, p *promotion.Promoter, typ promotion.Type, req promotion.Request,
	op func(context.Context, promotion.Request) (*promotion.Report, error)) error {
	st, err := p.LockState(ctx, req.Lower, req.Upper)
	if err != nil {
		return err
	}
	if st.Result != lock.StateLocked {
		return conflict("Environment is not in locked state (lock state: %s)", st.Result)
	}
	return s.ops.start(ctx, req.Upper, string(typ), func(ctx context.Context) {
		start := time.Now()
		if _, err := op(ctx, req); err != nil {
			s.log.WarnContext(ctx, string(typ)+" failed", "environment", req.Upper, "transactionId", txID(ctx), "err", err)
			// A run that failed before the Promoter took it up (the lock
			// lost, the server shutting down) is not in its Progress.
			if pr, perr := p.Progress(context.WithoutCancel(ctx), req.Upper); perr != nil || pr.Status != promotion.StatusError || pr.Time.Before(start) {
				s.ops.fail(req.Upper, string(typ), err)
			}
		}
	})
}

// progressBody is the spec's promotionProgress.
type progressBody struct {
	Status           promotion.Status `json:"status"`
	Message          string           `json:"message"`
	BlockingError    bool             `json:"blockingError"`
	MissingESVs      []string         `json:"missingESVs,omitempty"`
	EncryptedSecrets []string         `json:"encryptedSecrets,omitempty"`
	GlobalLock       string           `json:"globalLock"`
	PromotionID      string           `json:"promotionId,omitempty"`
	TimeStamp        string           `json:"timeStamp"`
	Type             promotion.Type   `json:"type,omitempty"`
}

// progress reports the latest promotion or rollback (see latestProgress).
func (s *Server) progress(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	pr, err := s.latestProgress(r.Context(), p, c.env)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, progressBody{
		Status: pr.Status, Message: pr.Message, BlockingError: pr.BlockingError, MissingESVs: pr.MissingESVs,
		EncryptedSecrets: pr.EncryptedSecrets, GlobalLock: pr.GlobalLock, PromotionID: pr.PromotionID,
		TimeStamp: pr.Time.Format(time.RFC3339), Type: pr.Type,
	})
	return nil
}

// latestProgress is upper's latest promotion or rollback as this server
// knows it. One it has started is RUNNING from its 202 on, also before the
// Promoter has taken it up, and one that failed before the Promoter
// recorded it is ERROR, so a poller never mistakes the previous outcome for
// its own.
func (s *Server) latestProgress(ctx context.Context, p *promotion.Promoter, upper string) (promotion.Progress, error) {
	pr, err := p.Progress(ctx, upper)
	if err != nil || pr.Status == promotion.StatusRunning {
		return pr, err
	}
	if what, ok := s.ops.running(upper); ok && what != "unlock" {
		return promotion.Progress{Status: promotion.StatusRunning, Message: what + " in progress", GlobalLock: pr.GlobalLock,
			Time: pr.Time, Type: promotion.Type(what), PromotionID: pr.PromotionID}, nil
	}
	if f, ok := s.ops.failed(upper); ok && (pr.Status == promotion.StatusReady || pr.Time.Before(f.at)) {
		return promotion.Progress{Status: promotion.StatusError, Message: failureMessage(f.what, f.err), GlobalLock: pr.GlobalLock,
			Time: f.at, Type: promotion.Type(f.what), PromotionID: pr.PromotionID}, nil
	}
	if pr.Status == promotion.StatusError {
		pr.Message, pr.Err = failureMessage(string(pr.Type), pr.Err), nil
	}
	return pr, nil
}

// failureMessage is what a poller reads about a failed run: the message
// an error answer would carry (no lease ids or tokens), or for an
// unexpected error only that it happened, as a 500 answer says: the error
// itself, which may carry anything from a commit message to a file path,
// is in the server's log.
func failureMessage(what string, err error) string {
	if err != nil {
		if a := answer(err); a != nil {
			return a.message
		}
	}
	return cmp.Or(what, "the operation") + " failed unexpectedly; the server's log has the error"
}

// reportBody is the spec's promotionReport, every field always present.
// A provisional report, which the Promoter does not keep, gets a fresh id
// and a name of its own, so clients that file reports by id can.
type reportBody struct {
	ReportID                          string            `json:"reportId"`
	ReportName                        string            `json:"reportName"`
	PromotionID                       string            `json:"promotionId"`
	CreatedDate                       time.Time         `json:"createdDate"`
	DryRun                            bool              `json:"dryRun"`
	Type                              promotion.Type    `json:"type"`
	Promoter                          string            `json:"promoter"`
	Description                       string            `json:"promotionDescription"`
	MissingESVs                       []string          `json:"missingESVs,omitempty"`
	PreviouslyIgnoredEncryptedSecrets []string          `json:"previouslyIgnoredEncryptedSecrets,omitempty"`
	Report                            promotion.Changes `json:"report"`
	// Beyond the spec: the encrypted secrets that would block a dry run.
	EncryptedSecrets []string `json:"encryptedSecrets,omitempty"`
}

func newReportBody(r *promotion.Report) reportBody {
	b := reportBody{
		ReportID: r.ReportID, ReportName: r.ReportName, PromotionID: r.PromotionID, CreatedDate: r.CreatedDate.UTC(), DryRun: r.DryRun,
		Type: r.Type, Promoter: r.Promoter, Description: r.Description, MissingESVs: r.MissingESVs,
		PreviouslyIgnoredEncryptedSecrets: r.PreviouslyIgnoredEncryptedSecrets, Report: r.Changes, EncryptedSecrets: r.EncryptedSecrets,
	}
	if b.ReportID == "" {
		b.ReportID = uuid.New()
	}
	if b.ReportName == "" {
		b.ReportName = fmt.Sprintf("Report_%s_dryrun=%t_%s", b.CreatedDate.Format("2006-01-02T15-04+00Z"), b.DryRun, b.ReportID)
	}
	return b
}

// reportMetaBody is the spec's promotionReportMeta.
type reportMetaBody struct {
	ReportID    string         `json:"reportId"`
	PromotionID string         `json:"promotionId"`
	CreatedDate time.Time      `json:"createdDate"`
	DryRun      bool           `json:"dryRun"`
	Type        promotion.Type `json:"type"`
	Promoter    string         `json:"promoter"`
}

func (s *Server) lastReport(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	metas, err := p.Reports(r.Context(), c.env)
	if err != nil {
		return err
	}
	if len(metas) == 0 {
		return notFound("environment %s has no promotion report yet", c.env)
	}
	rep, err := p.Report(r.Context(), metas[0].ReportID)
	return replyReport(w, rep, err)
}

// report returns one report of the called environment; the reports of
// the group's other environments are not found here.
func (s *Server) report(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	rep, err := p.Report(r.Context(), r.PathValue("reportId"))
	if err != nil {
		return err
	}
	if rep.Upper != c.env {
		return notFound("environment %s has no report %s", c.env, r.PathValue("reportId"))
	}
	return replyReport(w, rep, nil)
}

func (s *Server) reports(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	metas, err := p.Reports(r.Context(), c.env)
	if err != nil {
		return err
	}
	body := make([]reportMetaBody, 0, len(metas))
	for _, m := range metas {
		body = append(body, reportMetaBody{ReportID: m.ReportID, PromotionID: m.PromotionID, CreatedDate: m.CreatedDate, DryRun: m.DryRun, Type: m.Type, Promoter: m.Promoter})
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) provisionalReport(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	rep, err := p.ProvisionalReport(r.Context(), "", c.env)
	return replyReport(w, rep, err)
}

func (s *Server) provisionalRollbackReport(w http.ResponseWriter, r *http.Request, c call, p *promotion.Promoter) error {
	rep, err := p.ProvisionalRollbackReport(r.Context(), c.env)
	return replyReport(w, rep, err)
}

// replyReport answers rep in the spec's form, or returns err.
func replyReport(w http.ResponseWriter, rep *promotion.Report, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newReportBody(rep))
	return nil
}
