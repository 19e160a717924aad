#include "service/endpoint.h"

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include "exporters/basic_auth.h"
#include "service/daemon.h"
#include "service/landing.h"
#include "util/fd.h"

namespace lifetrace {

namespace {

// A file only this process can read, holding `text` (a key never touches a
// disk); civetweb opens it by its /proc/self/fd path while it starts.
std::variant<util::Fd, Problem> memory_file(const char* name, const std::string& text) {
  util::Fd fd(memfd_create(name, MFD_CLOEXEC));
  if (!fd) {
    return Problem{std::string("memfd_create: ") + std::strerror(errno),
                   "the kernel must support memfd_create (Linux 3.17+)"};
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Problem{std::string("writing the TLS material: ") + std::strerror(errno), ""};
    }
    done += static_cast<std::size_t>(n);
  }
  return fd;
}

std::string fd_path(const util::Fd& fd) { return "/proc/self/fd/" + std::to_string(fd.get()); }

// civetweb's "port + s" form of an HTTPS port.
std::string tls_port(std::string civetweb_port) { return civetweb_port + "s"; }

}  // namespace

std::optional<Problem> load_tls_libraries() {
  static std::mutex mutex;
  static bool loaded = false;
  std::lock_guard lock(mutex);
  if (loaded) return std::nullopt;
  std::vector<std::string> dirs;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back((exe.parent_path() / "lifetrace-tls").string());  // the build tree
    // Installed under another prefix than the one configured (cmake --install --prefix).
    dirs.push_back((exe.parent_path().parent_path() / LT_TLS_COMPAT_RELDIR).string());
  }
  dirs.push_back(LT_TLS_COMPAT_DIR);
  std::string tried;
  for (const auto& dir : dirs) {
    // libcrypto first: libssl's compat library needs it.
    void* crypto = dlopen((dir + "/liblifetrace-libcrypto-compat.so").c_str(), RTLD_NOW);
    void* ssl =
        crypto ? dlopen((dir + "/liblifetrace-libssl-compat.so").c_str(), RTLD_NOW) : nullptr;
    if (!crypto || !ssl) {
      const char* why = dlerror();
      tried += "\n  " + dir + ": " + (why ? why : "not found");
      if (crypto) dlclose(crypto);
      continue;
    }
    // What civetweb will get: its dlopen by name must land on ours (the SONAME
    // match), and the symbol it misses in OpenSSL 3 must be there.
    void* by_name = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
    if (by_name) dlclose(by_name);
    if (by_name != ssl || !dlsym(ssl, "SSL_get_peer_certificate") || !dlsym(ssl, "SSL_CTX_new")) {
      return Problem{"TLS: " + dir +
                         "/liblifetrace-libssl-compat.so is loaded, but "
                         "dlopen(\"libssl.so\") does not resolve to it with OpenSSL's symbols",
                     "report this: lifetrace's TLS set-up does not fit this system's civetweb"};
    }
    loaded = true;  // kept loaded for the process's life, as civetweb keeps OpenSSL
    return std::nullopt;
  }
  return Problem{
      "TLS is configured, but lifetrace's OpenSSL compatibility libraries cannot be "
      "loaded (civetweb needs them to use OpenSSL 3):" +
          tried,
      "install lifetrace completely (cmake --install, or the package), including "
      "LIBDIR/lifetrace/liblifetrace-lib{ssl,crypto}-compat.so, and libssl3"};
}

std::variant<std::unique_ptr<MetricsEndpoint>, Problem> MetricsEndpoint::start(
    const EndpointOptions& o,
    const std::vector<std::weak_ptr<prometheus::Collectable>>& collectables,
    std::function<std::string()> landing_page) {
  std::unique_ptr<MetricsEndpoint> ep(new MetricsEndpoint());
  std::vector<std::string> options = exporter_options(o.listen_address);
  util::Fd pem, ca;
  const TlsServerConfig* tls = o.web && o.web->tls ? &*o.web->tls : nullptr;
  if (tls) {
    if (auto p = load_tls_libraries()) return *p;
    auto cert_and_key = memory_file("lifetrace-tls", tls->cert_pem + "\n" + tls->key_pem);
    if (auto* p = std::get_if<Problem>(&cert_and_key)) return *p;
    pem = std::move(std::get<util::Fd>(cert_and_key));
    if (!tls->client_ca_pem.empty()) {
      auto client_ca = memory_file("lifetrace-client-ca", tls->client_ca_pem);
      if (auto* p = std::get_if<Problem>(&client_ca)) return *p;
      ca = std::move(std::get<util::Fd>(client_ca));
    }
    options[1] = tls_port(options[1]);
    for (auto& s : civetweb_tls_options(*tls, fd_path(pem), ca ? fd_path(ca) : std::string()))
      options.push_back(std::move(s));
    ep->tls_ = true;
  }
  if (o.web && (!o.web->users.empty() || !o.web->headers.empty())) {
    auto guard = std::make_shared<RequestGuard>();
    if (!o.web->users.empty()) guard->auth = std::make_shared<const BasicAuth>(o.web->users);
    guard->headers = o.web->headers;
    if (!guard->headers.empty()) {
      guard->telemetry_path = o.telemetry_path;
      guard->metrics_text = [collectables] {
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
    }
    // Before the server starts: from its first request on, nothing passes unchecked.
    ep->guard_ = std::make_unique<GuardRegistration>(std::move(guard));
  }
  try {
    ep->exposer_ = std::make_unique<prometheus::Exposer>(options, LandingPage::callbacks());
  } catch (const std::exception& e) {
    const std::string what = tls ? " over TLS" : "";
    return Problem{"cannot serve metrics" + what + " on " + o.listen_address + ": " + e.what(),
                   tls ? "is the port free (ss -ltnp), and do the certificate and key match "
                         "(openssl x509 -noout -pubkey -in CERT; openssl pkey -pubout -in KEY)? "
                         "civetweb logs nothing more"
                       : "is another process listening on that port (ss -ltnp)? Choose another "
                         "with --web.listen-address, e.g. 127.0.0.1:9477"};
  }
  const auto ports = ep->exposer_->GetListeningPorts();
  if (ep->guard_) ep->guard_->bind(ports);
  for (const auto& c : collectables) ep->exposer_->RegisterCollectable(c, o.telemetry_path);
  if (o.telemetry_path != "/" && landing_page) {
    ep->landing_ = std::make_unique<LandingPage>(ports, std::move(landing_page));
  }
  return ep;
}

MetricsEndpoint::~MetricsEndpoint() = default;

std::vector<int> MetricsEndpoint::ports() const { return exposer_->GetListeningPorts(); }

}  // namespace lifetrace
