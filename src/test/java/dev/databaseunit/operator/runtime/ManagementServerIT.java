package dev.databaseunit.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The operator's health and metrics endpoints, before and after it starts, against a real API server. */
@WithLocalServices
class ManagementServerIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void reportsReadinessAndPublishesReconcilerMetrics(KubeCluster cluster) throws Exception {
    try (var client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "du-management");
      var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      var operator = DatabaseUnitOperator.create(client, registry,
          new OperatorSettings(Set.of(namespace), false, null, 0, false), TestClock.startingNow());
      try (var server = ManagementServer.start(0, operator.operator(), registry)) {
        assertThat(get(server, "/readyz").statusCode()).isEqualTo(503);
        assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);

        operator.start();
        try {
          await().atMost(Duration.ofSeconds(30)).until(() -> get(server, "/readyz").statusCode() == 200);
          assertThat(get(server, "/healthz").body()).isEqualTo("ok");
          var metrics = get(server, "/metrics");
          assertThat(metrics.statusCode()).isEqualTo(200);
          assertThat(metrics.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
          // JOSDK's Micrometer binding registers per-controller series once the controller is running.
          assertThat(metrics.body()).contains("operator_sdk_reconciliations_queue_size_databaseunit");
        } finally {
          operator.stop();
        }
      }
    }
  }

  private HttpResponse<String> get(ManagementServer server, String path) throws Exception {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
