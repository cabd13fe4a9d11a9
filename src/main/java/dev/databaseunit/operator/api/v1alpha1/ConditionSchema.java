package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/**
 * The CRD schema of a status condition: the fields of the standard Kubernetes condition, with descriptions. Status
 * records keep fabric8's Condition type and point their schema here with {@code @SchemaFrom}, because fabric8's
 * class carries no descriptions.
 */
public record ConditionSchema(
    @Required @JsonPropertyDescription("Ready, Degraded, Progressing, Reconciling or Stalled (the last two as kstatus reads "
        + "them), or a kind's own such as OnSchedule.") String type,
    @Required @JsonPropertyDescription("True, False or Unknown.") String status,
    @JsonPropertyDescription("A CamelCase reason, one of the operator's EventReasons.") String reason,
    @JsonPropertyDescription("What a person should know, in one sentence.") String message,
    @JsonPropertyDescription("When status last changed.") String lastTransitionTime,
    @JsonPropertyDescription("The metadata.generation the condition was set for.") Long observedGeneration) {}
