package dev.databaseunit.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A redis-server of the test's own, on a free port in a temp dir, with a password and optionally TLS (a
 * self-signed certificate for 127.0.0.1 made with openssl). For tests that must restart or stop Redis: the
 * shared Redis of the local services is never touched.
 */
public final class PrivateRedis implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path dir;
  private final int port;
  private final boolean tls;
  private final String password = "redis-" + UUID.randomUUID();
  private Process process;

  private PrivateRedis(boolean tls) throws IOException {
    this.dir = Files.createTempDirectory("private-redis");
    this.port = freePort();
    this.tls = tls;
    if (tls) {
      run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
          "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
          "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString()));
    }
    start();
  }

  public static PrivateRedis start(boolean tls) {
    try {
      return new PrivateRedis(tls);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  /** The password of the default user. */
  public String password() {
    return password;
  }

  /** The self-signed server certificate, which is also the CA to trust (PEM); only with TLS. */
  public String caCertificatePem() {
    try {
      return Files.readString(dir.resolve("cert.pem"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server the hard way (no save) and starts a fresh one on the same port: a new run_id, defaults again. */
  public void restart() {
    stop();
    start();
  }

  public void stop() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void start() {
    List<String> command = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--save", "", "--appendonly", "no", "--requirepass", password, "--logfile", dir.resolve("redis.log").toString()));
    if (tls) {
      command.addAll(List.of("--port", "0", "--tls-port", Integer.toString(port),
          "--tls-cert-file", dir.resolve("cert.pem").toString(), "--tls-key-file", dir.resolve("key.pem").toString(),
          "--tls-ca-cert-file", dir.resolve("cert.pem").toString(), "--tls-auth-clients", "no"));
    } else {
      command.addAll(List.of("--port", Integer.toString(port)));
    }
    try {
      Files.deleteIfExists(dir.resolve("redis.log"));
      process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
      Instant deadline = Instant.now().plus(START_TIMEOUT);
      while (!log().contains("Ready to accept connections")) {
        if (!process.isAlive() || Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("redis-server did not start on port " + port + ": " + log());
        }
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private String log() throws IOException {
    Path log = dir.resolve("redis.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static void run(List<String> command) throws IOException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
