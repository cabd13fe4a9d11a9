package dev.databaseunit.operator.runtime;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * /healthz (liveness: the process and its informers are healthy), /readyz (the operator has started) and
 * /metrics (Prometheus text format). The JDK's own HTTP server is enough for three endpoints.
 */
public final class ManagementServer implements AutoCloseable {
  private final HttpServer server;

  private ManagementServer(HttpServer server) {
    this.server = server;
  }

  public static ManagementServer start(int port, Operator operator, PrometheusMeterRegistry registry) throws IOException {
    var server = HttpServer.create(new InetSocketAddress(port), 0);
    server.createContext("/healthz", ex -> respond(ex, healthy(operator) ? 200 : 503, healthy(operator) ? "ok" : "unhealthy"));
    server.createContext("/readyz", ex -> {
      boolean ready = operator.getRuntimeInfo().isStarted() && healthy(operator);
      respond(ex, ready ? 200 : 503, ready ? "ready" : "not ready");
    });
    server.createContext("/metrics", ex -> respond(ex, 200, registry.scrape()));
    server.start();
    return new ManagementServer(server);
  }

  /** Before start the informers do not exist yet, which is not a liveness failure. */
  private static boolean healthy(Operator operator) {
    var info = operator.getRuntimeInfo();
    return !info.isStarted() || info.allEventSourcesAreHealthy();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
