package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;

/** One key of a Secret in the resource's namespace. Secrets are only ever referenced, never copied into specs. */
public record SecretKeyRef(
    @Required @Pattern(ApiPatterns.K8S_NAME) @Size(max = 253) @JsonPropertyDescription("Name of the Secret.") String name,
    @Required @Pattern("^[-._a-zA-Z0-9]+$") @JsonPropertyDescription("Key within the Secret.") String key) {}
