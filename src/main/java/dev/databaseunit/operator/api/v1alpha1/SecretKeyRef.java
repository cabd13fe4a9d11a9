package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** One key of a Secret in the resource's namespace. Secrets are only ever referenced, never copied into specs. */
@ValidationRule(value = "!has(self.name) || self.name.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".name",
    message = "name " + ApiPatterns.K8S_NAME_MESSAGE)
@ValidationRule(value = "!has(self.key) || self.key.matches(r\"" + ApiPatterns.SECRET_KEY + "\")", fieldPath = ".key",
    message = "key " + ApiPatterns.SECRET_KEY_MESSAGE)
public record SecretKeyRef(
    @Required @Size(max = 253) @JsonPropertyDescription("Name of the Secret.") String name,
    @Required @Size(max = 253) @JsonPropertyDescription("Key within the Secret.") String key) {}
