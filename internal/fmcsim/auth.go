package fmcsim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Token rules of the management center: an access token lasts 30 minutes
// and can be refreshed up to three times; after that the client must
// authenticate again.
const (
	accessTokenLifetime = 30 * time.Minute
	maxRefreshes        = 3
	maxSessions         = 20000
)

// session is one login: its current token pair and how often it has been
// refreshed. Rate limits are counted per session.
type session struct {
	id        int
	user      string
	access    string
	refresh   string
	expires   time.Time
	refreshes int
}

type authState struct {
	byAccess  map[string]*session
	byRefresh map[string]*session
	seq       int
	logins    int64
	refreshed int64
}

func (a *authState) init() {
	a.byAccess = map[string]*session{}
	a.byRefresh = map[string]*session{}
}

func randomToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("fmcsim: no randomness for tokens: %v", err))
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// login starts a session.
func (a *authState) login(user string, now time.Time) *session {
	if len(a.byAccess) >= maxSessions {
		a.prune(now)
	}
	a.seq++
	a.logins++
	s := &session{id: a.seq, user: user, access: randomToken(), refresh: randomToken(), expires: now.Add(accessTokenLifetime)}
	a.byAccess[s.access] = s
	a.byRefresh[s.refresh] = s
	return s
}

// prune drops sessions that can no longer be used: expired and out of
// refreshes.
func (a *authState) prune(now time.Time) {
	for k, s := range a.byAccess {
		if now.After(s.expires) && s.refreshes >= maxRefreshes {
			delete(a.byAccess, k)
			delete(a.byRefresh, s.refresh)
		}
	}
}

// revokeAll invalidates every token, as a management center restart or an
// administrator logging the API user out does.
func (a *authState) revokeAll() {
	a.init()
}

// lookup returns the session of a valid access token.
func (a *authState) lookup(token string, now time.Time) (*session, string) {
	if token == "" {
		return nil, "Access token invalid. Authentication required: send X-auth-access-token."
	}
	s, ok := a.byAccess[token]
	if !ok {
		return nil, "Access token invalid."
	}
	if !now.Before(s.expires) {
		return s, "Access token invalid. The token has expired."
	}
	return s, ""
}

// domainsHeader is the DOMAINS header: a JSON array of {name, uuid}.
func (s *sim) domainsHeader() string {
	type dom struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	}
	var ds []dom
	for _, d := range s.domains {
		ds = append(ds, dom{Name: d.name, UUID: d.uuid})
	}
	b, _ := json.Marshal(ds)
	return string(b)
}

// setTokenHeaders writes the token headers. The names are set verbatim
// (not canonicalised) because that is how the management center spells
// them; HTTP header names are case-insensitive, so clients match either way.
func (s *sim) setTokenHeaders(w http.ResponseWriter, ses *session) {
	h := w.Header()
	h["X-auth-access-token"] = []string{ses.access}
	h["X-auth-refresh-token"] = []string{ses.refresh}
	h["DOMAIN_UUID"] = []string{GlobalDomainUUID}
	h["global"] = []string{GlobalDomainUUID}
	h["DOMAINS"] = []string{s.domainsHeader()}
}

func (srv *Server) handleGenerateToken(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	user, pass, ok := r.BasicAuth()
	if !ok {
		writeError(w, http.StatusUnauthorized, catFramework, "Authentication required: send the user name and password with HTTP Basic authentication.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(user), []byte(srv.username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(srv.password)) != 1 {
		writeError(w, http.StatusUnauthorized, catFramework, "Unauthorized: invalid user name or password.")
		return
	}
	ses := s.auth.login(user, s.now)
	s.setTokenHeaders(w, ses)
	w.WriteHeader(http.StatusNoContent)
}

func (srv *Server) handleRefreshToken(w http.ResponseWriter, r *http.Request) {
	s := srv.sim
	access := r.Header.Get("X-auth-access-token")
	refresh := r.Header.Get("X-auth-refresh-token")
	ses, ok := s.auth.byRefresh[refresh]
	if refresh == "" || !ok {
		writeError(w, http.StatusUnauthorized, catFramework, "Invalid refresh token.")
		return
	}
	if access != ses.access {
		writeError(w, http.StatusUnauthorized, catFramework, "Invalid refresh token: it does not belong to the access token sent.")
		return
	}
	if ses.refreshes >= maxRefreshes {
		delete(s.auth.byAccess, ses.access)
		delete(s.auth.byRefresh, ses.refresh)
		writeError(w, http.StatusUnauthorized, catFramework, "Invalid refresh token: the token has been refreshed %d times; authenticate again.", maxRefreshes)
		return
	}
	delete(s.auth.byAccess, ses.access)
	delete(s.auth.byRefresh, ses.refresh)
	ses.refreshes++
	ses.access, ses.refresh = randomToken(), randomToken()
	ses.expires = s.now.Add(accessTokenLifetime)
	s.auth.byAccess[ses.access] = ses
	s.auth.byRefresh[ses.refresh] = ses
	s.auth.refreshed++
	s.setTokenHeaders(w, ses)
	w.WriteHeader(http.StatusNoContent)
}
