#include "service/endpoint.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include "exporters/basic_auth.h"
#include "util/text.h"

namespace lifetrace {

namespace {

Problem bad_address(const std::string& address, const std::string& why) {
  return Problem{"cannot serve metrics on \"" + util::sanitize(address) + "\": " + why,
                 "give the listen address as :PORT (every IPv4 address), IPV4:PORT, [IPV6]:PORT "
                 "or NAME:PORT, e.g. --web.listen-address=127.0.0.1:9477"};
}

// The listening socket, bound: MHD takes it over (MHD_OPTION_LISTEN_SOCKET),
// so the errors of binding are ours to word.
std::variant<util::Fd, Problem> listen_socket(const ListenAddress& a, const std::string& text) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const std::string where = "cannot serve metrics on " + util::sanitize(text);
  switch (a.kind) {
    case ListenAddress::Kind::any_ipv4:
    case ListenAddress::Kind::ipv4: {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(a.port);
      sin->sin_addr.s_addr = htonl(INADDR_ANY);
      if (a.kind == ListenAddress::Kind::ipv4) inet_pton(AF_INET, a.host.c_str(), &sin->sin_addr);
      len = sizeof(sockaddr_in);
      break;
    }
    case ListenAddress::Kind::ipv6: {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(a.port);
      inet_pton(AF_INET6, a.host.c_str(), &sin6->sin6_addr);
      len = sizeof(sockaddr_in6);
      break;
    }
    case ListenAddress::Kind::name: {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      hints.ai_flags = AI_ADDRCONFIG;
      addrinfo* res = nullptr;
      if (const int rc = getaddrinfo(a.host.c_str(), nullptr, &hints, &res); rc != 0 || !res) {
        return Problem{
            where + ": cannot resolve \"" + util::sanitize(a.host) + "\": " + gai_strerror(rc),
            "use an IP address, e.g. 127.0.0.1:9477 or [::1]:9477"};
      }
      std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
      len = res->ai_addrlen;
      freeaddrinfo(res);
      if (ss.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(a.port);
      } else {
        reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(a.port);
      }
      break;
    }
  }
  util::Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return Problem{where + ": socket: " + std::strerror(errno), ""};
  const int on = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (ss.ss_family == AF_INET6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    const int e = errno;
    std::string hint =
        "is another process listening on that port (ss -ltnp)? Choose another with "
        "--web.listen-address, e.g. 127.0.0.1:9477";
    if (e == EACCES) hint = "ports below 1024 need CAP_NET_BIND_SERVICE; choose a higher port";
    if (e == EADDRNOTAVAIL) hint = "this machine has no such address (ip -brief address)";
    return Problem{where + ": bind: " + std::strerror(e), hint};
  }
  if (listen(fd.get(), 128) != 0) {
    return Problem{where + ": listen: " + std::strerror(errno), ""};
  }
  return fd;
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// True if the certificate (DER) has one of `allowed` among its subject
// alternative names, compared as exporter-toolkit does: exactly, DNS names,
// e-mail addresses and URIs as written, IP addresses in their usual text form.
bool has_allowed_san(const gnutls_datum_t& der, const std::vector<std::string>& allowed) {
  gnutls_x509_crt_t crt = nullptr;
  if (gnutls_x509_crt_init(&crt) < 0) return false;
  std::unique_ptr<gnutls_x509_crt_int, void (*)(gnutls_x509_crt_t)> guard(crt,
                                                                          gnutls_x509_crt_deinit);
  if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) < 0) return false;
  for (unsigned i = 0; i < 256; ++i) {
    char buf[1024];
    std::size_t size = sizeof(buf);
    unsigned critical = 0;
    const int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, &critical);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type < 0) continue;  // longer than any name worth matching
    std::string name;
    if (type == GNUTLS_SAN_IPADDRESS) {
      char text[INET6_ADDRSTRLEN] = {};
      if (size == 4 || size == 16)
        inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof(text));
      name = text;
    } else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
               type == GNUTLS_SAN_URI) {
      name.assign(buf, size);
    } else {
      continue;
    }
    if (!name.empty() && std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace

// MHD's messages while it starts (why a certificate was refused, ...), kept
// short; later ones are dropped rather than logged: a client can cause them.
struct MetricsEndpoint::StartLog {
  bool starting = true;
  std::string text;
};

namespace {

void log_mhd(void* cls, const char* fmt, va_list ap) {
  auto* log = static_cast<MetricsEndpoint::StartLog*>(cls);
  if (!log->starting || log->text.size() > 1024) return;
  char buf[512];
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  std::string line = buf;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '.')) {
    line.pop_back();
  }
  if (line.empty()) return;
  log->text += (log->text.empty() ? "" : "; ") + util::sanitize(line);
}

MHD_Result on_request(void* self, MHD_Connection* c, const char* url, const char* method,
                      const char* /*version*/, const char* /*upload_data*/,
                      std::size_t* /*upload_size*/, void** /*state*/) {
  return static_cast<MetricsEndpoint*>(self)->handle_request(c, url, method) ? MHD_YES : MHD_NO;
}

}  // namespace

std::variant<ListenAddress, Problem> parse_listen_address(const std::string& address) {
  ListenAddress a;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      return bad_address(address, "an IPv6 address needs its port after the brackets");
    }
    a.kind = ListenAddress::Kind::ipv6;
    a.host = address.substr(1, close - 1);
    port = address.substr(close + 2);
    in6_addr v6{};
    if (inet_pton(AF_INET6, a.host.c_str(), &v6) != 1) {
      return bad_address(address, "\"" + util::sanitize(a.host) + "\" is not an IPv6 address");
    }
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return bad_address(address, "no port");
    a.host = address.substr(0, colon);
    port = address.substr(colon + 1);
    in_addr v4{};
    if (a.host.empty()) {
      a.kind = ListenAddress::Kind::any_ipv4;
    } else if (a.host.find(':') != std::string::npos) {
      return bad_address(address, "an IPv6 address must be in brackets, e.g. [::1]:9477");
    } else if (inet_pton(AF_INET, a.host.c_str(), &v4) == 1) {
      a.kind = ListenAddress::Kind::ipv4;
    } else {
      a.kind = ListenAddress::Kind::name;
    }
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535) {
    return bad_address(address, "\"" + util::sanitize(port) + "\" is not a port (0-65535)");
  }
  a.port = static_cast<std::uint16_t>(std::stoul(port));
  return a;
}

std::variant<std::unique_ptr<MetricsEndpoint>, Problem> MetricsEndpoint::start(
    const EndpointOptions& o,
    const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables,
    std::function<std::string()> landing_page, util::EventLoop& loop) {
  auto parsed = parse_listen_address(o.listen_address);
  if (auto* p = std::get_if<Problem>(&parsed)) return *p;
  auto socket = listen_socket(std::get<ListenAddress>(parsed), o.listen_address);
  if (auto* p = std::get_if<Problem>(&socket)) return *p;
  util::Fd listener = std::move(std::get<util::Fd>(socket));

  std::unique_ptr<MetricsEndpoint> ep(new MetricsEndpoint(loop));
  ep->port_ = bound_port(listener.get());
  Routes& r = ep->routes_;
  r.telemetry_path = o.telemetry_path;
  r.metrics_text = [collectables] {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& weak : collectables) {
      if (auto c = weak.lock()) {
        auto f = c->Collect();
        families.insert(families.end(), std::make_move_iterator(f.begin()),
                        std::make_move_iterator(f.end()));
      }
    }
    return prometheus::TextSerializer().Serialize(families);
  };
  if (o.telemetry_path != "/") r.landing_page = std::move(landing_page);
  const TlsServerConfig* tls = o.web && o.web->tls ? &*o.web->tls : nullptr;
  if (o.web) {
    if (!o.web->users.empty()) r.auth = std::make_shared<const BasicAuth>(o.web->users);
    r.headers = o.web->headers;
  }

  ep->log_ = std::make_unique<StartLog>();
  StartLog& log = *ep->log_;
  unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;  // no thread: MHD_run() from our loop
  std::vector<MHD_OptionItem> options{
      // First, so that MHD sends every message of its start here.
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&log_mhd), &log},
      {MHD_OPTION_LISTEN_SOCKET, listener.get(), nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, kEndpointMaxConnections, nullptr},
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, kEndpointMaxConnectionsPerAddress, nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, kEndpointIdleTimeoutSeconds, nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(kEndpointConnectionMemory),
       nullptr},
  };
  if (tls) {
    flags |= MHD_USE_TLS;
    ep->tls_ = true;
    ep->client_auth_ = tls->client_auth;
    ep->client_allowed_sans_ = tls->client_allowed_sans;
    // In memory: no key on a disk, not even a temporary file.
    options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(tls->cert_pem.c_str())});
    options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(tls->key_pem.c_str())});
    options.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(tls->priorities.c_str())});
    if (tls->client_auth != ClientAuth::none) {
      // Makes MHD ask for a client certificate; handle_request() verifies it
      // against these CAs only (not the system's trust store).
      options.push_back(
          {MHD_OPTION_HTTPS_MEM_TRUST, 0, const_cast<char*>(tls->client_ca_pem.c_str())});
    }
  }
  options.push_back({MHD_OPTION_END, 0, nullptr});
  ep->mhd_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &on_request, ep.get(), MHD_OPTION_ARRAY,
                              options.data(), MHD_OPTION_END);
  log.starting = false;
  if (!ep->mhd_) {
    const std::string why = log.text.empty() ? "libmicrohttpd did not start" : log.text;
    if (tls) {
      return Problem{
          "cannot serve metrics over TLS on " + util::sanitize(o.listen_address) + ": " + why,
          "do the certificate and key match (openssl x509 -noout -pubkey -in CERT; "
          "openssl pkey -pubout -in KEY), and are both PEM?"};
    }
    return Problem{"cannot serve metrics on " + util::sanitize(o.listen_address) + ": " + why,
                   "report this with the daemon's log"};
  }
  (void)listener.release();  // MHD's now: MHD_stop_daemon() closes it
  const MHD_DaemonInfo* info = MHD_get_daemon_info(ep->mhd_, MHD_DAEMON_INFO_EPOLL_FD);
  ep->mhd_epoll_ = info ? info->epoll_fd : -1;
  ep->timer_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (ep->mhd_epoll_ < 0 || !ep->timer_) {
    return Problem{"cannot serve metrics on " + util::sanitize(o.listen_address) +
                       (ep->timer_ ? ": libmicrohttpd has no epoll set"
                                   : std::string(": timerfd_create: ") + std::strerror(errno)),
                   "report this with the daemon's log"};
  }
  MetricsEndpoint* self = ep.get();
  if (!loop.watch(ep->mhd_epoll_, [self] { self->run(); })) {
    return Problem{"cannot serve metrics: " + loop.error(), ""};
  }
  ep->watching_ = true;
  if (!loop.watch(ep->timer_.get(), [self] {
        std::uint64_t expired = 0;
        if (read(self->timer_.get(), &expired, sizeof(expired)) < 0) {
        }
        self->timer_armed_ = false;  // one-shot: it is disarmed once it expired
        self->run();
      })) {
    return Problem{"cannot serve metrics: " + loop.error(), ""};
  }
  return ep;
}

MetricsEndpoint::MetricsEndpoint(util::EventLoop& loop) : loop_(loop) {}

MetricsEndpoint::~MetricsEndpoint() {
  if (watching_) {
    loop_.unwatch(mhd_epoll_);
    if (timer_) loop_.unwatch(timer_.get());
  }
  if (mhd_) MHD_stop_daemon(mhd_);  // closes the connections, the listener, its epoll set
}

unsigned MetricsEndpoint::connections() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(mhd_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
  return info ? info->num_connections : 0;
}

void MetricsEndpoint::run() {
  MHD_run(mhd_);
  MHD_UNSIGNED_LONG_LONG ms = 0;
  // No connection, no deadline: MHD_NO, and the timer stays off.
  if (MHD_get_timeout(mhd_, &ms) == MHD_YES) {
    set_timer(true, ms);
  } else {
    set_timer(false, 0);
  }
}

void MetricsEndpoint::set_timer(bool arm, unsigned long long ms) {
  if (!arm && !timer_armed_) return;
  itimerspec its{};
  if (arm) {
    its.it_value.tv_sec = static_cast<time_t>(ms / 1000);
    its.it_value.tv_nsec = static_cast<long>((ms % 1000) * 1'000'000);
    if (ms == 0) its.it_value.tv_nsec = 1;  // now (all zero would disarm it)
  }
  timerfd_settime(timer_.get(), 0, &its, nullptr);
  timer_armed_ = arm;
}

bool MetricsEndpoint::client_certificate_ok(MHD_Connection* c) const {
  const MHD_ConnectionInfo* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
  if (!ci || !ci->tls_session) return false;
  auto* session = static_cast<gnutls_session_t>(ci->tls_session);
  unsigned n = 0;
  const gnutls_datum_t* chain = gnutls_certificate_get_peers(session, &n);
  if (!chain || n == 0) return client_auth_ == ClientAuth::verify_if_given;
  // Against the CAs of MHD_OPTION_HTTPS_MEM_TRUST (client_ca_file) only:
  // signature chain, validity dates, constraints.
  unsigned status = 0;
  if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS || status != 0) {
    return false;
  }
  return client_allowed_sans_.empty() || has_allowed_san(chain[0], client_allowed_sans_);
}

bool MetricsEndpoint::handle_request(MHD_Connection* c, const char* url, const char* method) {
  // A missing or unverified client certificate gets no answer at all: the
  // connection is closed, as a TLS handshake that refused it would end.
  if (tls_ && client_auth_ != ClientAuth::none && !client_certificate_ok(c)) return false;
  HttpRequest request;
  request.method = method ? method : "";
  request.path = url ? url : "";
  request.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  request.accept_encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
  HttpResponse answer = route(routes_, request);
  MHD_Response* response = MHD_create_response_from_buffer(answer.body.size(), answer.body.data(),
                                                           MHD_RESPMEM_MUST_COPY);
  if (!response) return false;
  MHD_add_response_header(response, "Content-Type", answer.content_type.c_str());
  for (const auto& [name, value] : answer.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued = MHD_queue_response(c, static_cast<unsigned>(answer.status), response);
  MHD_destroy_response(response);
  return queued == MHD_YES;
}

}  // namespace lifetrace
