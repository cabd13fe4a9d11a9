package dev.databaseunit.cache.client.testing;

import io.lettuce.core.RedisURI;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A redis-server of the test's own on a free port, a plain child process, so a test can kill and restart it
 * without touching the shared Redis. Append-only with fsync always, so data survives a kill -9 (a Redis that
 * comes back with old values is the hard case for a cache).
 */
public final class PrivateRedis implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final List<String> extraArgs;
  private final TestCertificates tls;
  private Process process;

  public PrivateRedis(String... extraArgs) throws IOException {
    this(null, extraArgs);
  }

  private PrivateRedis(TestCertificates tls, String... extraArgs) throws IOException {
    this.dir = Files.createTempDirectory("private-redis");
    try (ServerSocket socket = new ServerSocket(0)) {
      this.port = socket.getLocalPort();
    }
    this.tls = tls;
    this.extraArgs = List.of(extraArgs);
    start();
  }

  /** TLS only (no plain-text port), with a server certificate for 127.0.0.1 signed by {@code certificates}' CA. */
  public static PrivateRedis withTls(TestCertificates certificates) throws IOException {
    return new PrivateRedis(certificates);
  }

  public int port() {
    return port;
  }

  public RedisURI uri() {
    return RedisURI.create("127.0.0.1", port);
  }

  public void start() throws IOException {
    List<String> command = new ArrayList<>(List.of("/usr/bin/redis-server", "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "no"));
    if (tls == null) {
      command.addAll(List.of("--port", String.valueOf(port)));
    } else {
      command.addAll(List.of("--port", "0", "--tls-port", String.valueOf(port), "--tls-auth-clients", "no",
          "--tls-cert-file", tls.serverCertificate().toString(), "--tls-key-file", tls.serverKey().toString(),
          "--tls-ca-cert-file", tls.ca().toString()));
    }
    command.addAll(extraArgs);
    process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        sleep(20);
      }
    }
    throw new IllegalStateException("redis-server did not start on " + port + ": see " + dir.resolve("redis.log"));
  }

  /** kill -9: no shutdown save, connections drop at once. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws Exception {
    if (process != null && process.isAlive()) {
      kill();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }
}
