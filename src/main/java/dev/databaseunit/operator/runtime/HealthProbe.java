package dev.databaseunit.operator.runtime;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code java HealthProbe <url>}: exits 0 when the URL answers 200. The chart's `helm test` pod runs it from the
 * operator image, so the test needs no second image with curl in it.
 */
public final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: HealthProbe <url>");
      System.exit(2);
    }
    var client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    var response = client.send(HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    System.out.println(response.statusCode() + " " + response.body().strip());
    System.exit(response.statusCode() == 200 ? 0 : 1);
  }
}
