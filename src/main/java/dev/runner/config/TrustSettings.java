package dev.runner.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Who may talk to a node, read once at start (with the files it names) from the environment or the
 * configuration file ({@link RunnerConfig#from}):
 * {@code apiTls}, mutual TLS on the HTTP API (null: plain HTTP); {@code apiTokenDigests}, the SHA-256
 * of every bearer token the API accepts (empty: none is asked for; only digests are kept, so the
 * tokens never appear in a log of the configuration); {@code clusterTls}, mutual TLS on the event bus
 * between nodes (null: plain TCP). Everything is off by default.
 */
public record TrustSettings(TlsSettings apiTls, List<byte[]> apiTokenDigests, TlsSettings clusterTls) {
  public static final TrustSettings NONE = new TrustSettings(null, List.of(), null);

  /**
   * A certificate and its key (PEM) and the CA bundle (PEM) the peers' certificates must chain to,
   * as read at start. {@code variables}: the environment variables they came from, for messages.
   */
  public record TlsSettings(String variables, Buffer cert, Buffer key, Buffer ca) {
    public PemKeyCertOptions keyCert() {
      return new PemKeyCertOptions().setCertValue(cert).setKeyValue(key);
    }

    public PemTrustOptions trust() {
      return new PemTrustOptions().addCertValue(ca);
    }

    @Override
    public String toString() {
      return "TlsSettings[" + variables + "]"; // never the key
    }
  }

  public boolean apiTokensRequired() {
    return !apiTokenDigests.isEmpty();
  }

  /**
   * The API's server options made HTTPS only, a client certificate signed by the API's CA required
   * at the handshake (which must end within {@code handshakeTimeoutMs}: until then a connection is
   * not yet the connection guard's), when mutual TLS is configured; else unchanged.
   */
  public HttpServerOptions secure(HttpServerOptions options, long handshakeTimeoutMs) {
    if (apiTls == null) return options;
    return options.setSsl(true).setUseAlpn(false) // HTTP/1.1 only, as in clear text: the guards are per connection
        .setKeyCertOptions(apiTls.keyCert()).setTrustOptions(apiTls.trust()).setClientAuth(ClientAuth.REQUIRED)
        .setSslHandshakeTimeout(handshakeTimeoutMs).setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /**
   * The event bus options made TLS both ways when cluster TLS is configured: a node serves with its
   * certificate and takes only peers presenting one of the cluster's CA, and presents its own when it
   * connects to them (the event bus checks the chain, not the peer's name).
   */
  public EventBusOptions secure(EventBusOptions options) {
    if (clusterTls == null) return options;
    return options.setSsl(true).setKeyCertOptions(clusterTls.keyCert()).setTrustOptions(clusterTls.trust())
        .setClientAuth(ClientAuth.REQUIRED);
  }

  /** Whether {@code token} is one of the accepted ones, in time independent of where (or whether) it matches. */
  public boolean acceptsToken(String token) {
    byte[] presented = sha256(token);
    boolean match = false;
    for (byte[] d : apiTokenDigests) match |= MessageDigest.isEqual(d, presented); // no early exit
    return match;
  }

  public static TrustSettings fromEnvironment(Map<String, String> env) {
    return from(env, v -> v);
  }

  /**
   * The settings these values give, keyed by their environment variables; {@code name} tells what a
   * message calls each (the variable, or the file's key it came from).
   */
  public static TrustSettings from(Map<String, String> env, Function<String, String> name) {
    return new TrustSettings(tls(env, name, "RUNNER_TLS_"), tokens(env, name), tls(env, name, "RUNNER_CLUSTER_TLS_"));
  }

  private static TlsSettings tls(Map<String, String> env, Function<String, String> name, String prefix) {
    String certVar = prefix + "CERT_FILE", keyVar = prefix + "KEY_FILE", caVar = prefix + "CA_FILE";
    List<String> set = new ArrayList<>(), missing = new ArrayList<>();
    for (String v : List.of(certVar, keyVar, caVar)) (blank(env.get(v)) ? missing : set).add(name.apply(v));
    if (set.isEmpty()) return null;
    String all = name.apply(certVar) + ", " + name.apply(keyVar) + ", " + name.apply(caVar);
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(String.join(" and ", set) + " " + (set.size() == 1 ? "is" : "are")
          + " set but " + String.join(" and ", missing) + " " + (missing.size() == 1 ? "is" : "are")
          + " not: set all three of " + all + ", or none");
    }
    Buffer cert = pem(env, certVar, name.apply(certVar), "CERTIFICATE");
    Buffer key = pem(env, keyVar, name.apply(keyVar), "PRIVATE KEY");
    Buffer ca = pem(env, caVar, name.apply(caVar), "CERTIFICATE");
    return new TlsSettings(all, cert, key, ca);
  }

  /** The file a variable names, which must hold a PEM block of this kind (certificates are parsed too). */
  private static Buffer pem(Map<String, String> env, String var, String shown, String kind) {
    Path path = Path.of(env.get(var).trim());
    byte[] bytes = read(shown, path);
    String text = new String(bytes, StandardCharsets.US_ASCII);
    if (!text.matches("(?s).*-----BEGIN [A-Z ]*" + kind + "-----.*")) {
      throw new IllegalArgumentException(shown + ": " + path + " holds no PEM " + kind);
    }
    if (kind.equals("CERTIFICATE")) {
      try {
        if (CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes)).isEmpty()) {
          throw new CertificateException("no certificate");
        }
      } catch (CertificateException e) {
        throw new IllegalArgumentException(shown + ": " + path + " holds no readable certificate: " + e.getMessage());
      }
    }
    return Buffer.buffer(bytes);
  }

  private static List<byte[]> tokens(Map<String, String> env, Function<String, String> name) {
    List<byte[]> digests = new ArrayList<>();
    String inline = env.get("RUNNER_API_TOKENS");
    String inlineName = name.apply("RUNNER_API_TOKENS"), fileName = name.apply("RUNNER_API_TOKENS_FILE");
    if (!blank(inline)) {
      int before = digests.size();
      for (String t : inline.split(",")) add(digests, t.trim(), inlineName);
      if (digests.size() == before) throw new IllegalArgumentException(inlineName + " is set but holds no token");
    }
    String file = env.get("RUNNER_API_TOKENS_FILE");
    if (!blank(file)) {
      Path path = Path.of(file.trim());
      int before = digests.size(), line = 0;
      for (String t : new String(read(fileName, path), StandardCharsets.UTF_8).split("\r?\n")) {
        line++;
        String s = t.trim();
        if (!s.startsWith("#")) add(digests, s, fileName + " " + path + " line " + line);
      }
      if (digests.size() == before) throw new IllegalArgumentException(fileName + ": " + path + " holds no token");
    }
    return List.copyOf(digests);
  }

  private static void add(List<byte[]> digests, String token, String where) {
    if (token.isEmpty()) return;
    for (char c : token.toCharArray()) {
      if (c <= ' ' || c > '~') { // a header must be able to carry it; the token itself is never echoed
        throw new IllegalArgumentException(where + ": a token may hold only visible ASCII characters, no spaces");
      }
    }
    digests.add(sha256(token));
  }

  private static byte[] read(String var, Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException | SecurityException e) {
      throw new IllegalArgumentException(var + ": cannot read " + path + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null || e.getMessage().equals(path.toString()) ? "" : " (" + e.getMessage() + ")"));
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
