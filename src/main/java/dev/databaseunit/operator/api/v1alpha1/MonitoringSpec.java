package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

public record MonitoringSpec(
    @Default("true") @JsonPropertyDescription("Publish this unit's metrics on the operator's /metrics endpoint.") Boolean metrics,
    @Default("true") @JsonPropertyDescription("Create a PrometheusRule with the seed's alert thresholds.") Boolean prometheusRule,
    @Default("true") @JsonPropertyDescription("Create Grafana dashboard ConfigMaps.") Boolean dashboards) {}
