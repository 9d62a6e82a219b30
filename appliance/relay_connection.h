#pragma once
// One SMTP connection to a primary, driven for the delivery service (delivery_service.h): it
// connects through Env::network(), runs the sans-I/O delivery::SmtpClient (its driver contract
// is in modules/delivery/smtp_client.h) and performs its actions: bytes to the stream, STARTTLS
// with the configured ClientTls, one deadline timer, close. It carries one mail at a time and,
// with connection reuse, asks its owner for the next one when the session is ready again
// (RFC 5321 4.1.1.5: RSET between transactions is the client core's business).
//
// No decisions here: which mail, to whom, and what an outcome means belong to the owner's
// DeliveryQueue core. What this class adds to the client core is what it cannot see: a connect
// that fails or times out (every recipient: retry, no reply code), and a handshake that fails.
//
// Ownership: the owner holds it in a unique_ptr and destroys it after `on_closed`, never from
// inside one of its callbacks (post the deletion). Env, tls and the callbacks' targets outlive
// it. Threading: loop thread only.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "appliance/env/env.h"
#include "appliance/env/network.h"
#include "modules/delivery/delivery_queue.h"
#include "modules/delivery/smtp_client.h"

namespace lifeboat {

// A mail as the connection sends it: the queue's attempt and the envelope built for it.
struct RelayMail {
  delivery::DeliveryAttempt attempt;
  delivery::Envelope envelope;
};

class RelayConnection : public ByteStream::Handler {
 public:
  struct Callbacks {
    // The session is ready for another mail: the next one, or nullopt to end it (QUIT).
    std::function<std::optional<RelayMail>(RelayConnection&)> next_mail;
    // One mail's results, one per recipient of its attempt, in order.
    std::function<void(RelayConnection&, const delivery::DeliveryAttempt&,
                       const std::vector<delivery::RecipientResult>&)>
        on_results;
    // The connection is over; every mail it carried has had its on_results.
    std::function<void(RelayConnection&, const std::string& reason)> on_closed;
  };

  // `tls` may be null when `client.tls` is kNone. `server_name` is what the certificate must
  // name (ClientTlsOptions).
  RelayConnection(Env& env, std::string destination, std::string server_name,
                  const delivery::ClientConfig& client, const ClientTls* tls,
                  Duration connect_timeout, Callbacks callbacks);
  ~RelayConnection() override;
  RelayConnection(const RelayConnection&) = delete;
  RelayConnection& operator=(const RelayConnection&) = delete;

  // Connects and sends `first`. Callbacks run later, never inside Start().
  void Start(RelayMail first);

  const std::string& destination() const { return destination_; }
  bool closed() const { return closed_; }

  // ByteStream::Handler.
  void OnBytes(std::string_view bytes) override;
  void OnTlsEstablished(const TlsSessionFacts& facts) override;
  void OnClosed(std::string_view reason) override;

 private:
  void OnConnected(Result<std::unique_ptr<ByteStream>> stream);
  void Perform();
  void Act(delivery::ClientAction& action);
  void SendMail(RelayMail mail);
  void FailUnsent(const std::string& reason);
  void Finish(const std::string& reason);

  Env& env_;
  const std::string destination_;
  const std::string server_name_;
  const delivery::ClientConfig client_config_;
  const ClientTls* tls_;
  const Duration connect_timeout_;
  Callbacks callbacks_;
  delivery::SmtpClient client_;
  std::unique_ptr<PendingConnect> connect_;
  std::unique_ptr<ByteStream> stream_;
  std::optional<RelayMail> current_;  // handed to the client, results not yet reported
  TimerId deadline_ = 0;
  std::optional<std::string> close_reason_;  // the client closed; OnClosed ends it
  bool handshaking_ = false;
  bool quitting_ = false;
  bool closed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lifeboat
