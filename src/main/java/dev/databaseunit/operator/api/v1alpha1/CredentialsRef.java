package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** A Secret holding a user name and a password, for a database, a pooler admin console or a cache. */
@ValidationRule(value = "!has(self.secretName) || self.secretName.matches(r\"" + ApiPatterns.K8S_NAME + "\")", fieldPath = ".secretName",
    message = "secretName " + ApiPatterns.K8S_NAME_MESSAGE)
@ValidationRule(value = "!has(self.usernameKey) || self.usernameKey.matches(r\"" + ApiPatterns.SECRET_KEY + "\")", fieldPath = ".usernameKey",
    message = "usernameKey " + ApiPatterns.SECRET_KEY_MESSAGE)
@ValidationRule(value = "!has(self.passwordKey) || self.passwordKey.matches(r\"" + ApiPatterns.SECRET_KEY + "\")", fieldPath = ".passwordKey",
    message = "passwordKey " + ApiPatterns.SECRET_KEY_MESSAGE)
public record CredentialsRef(
    @Required @Size(max = 253) @JsonPropertyDescription("Name of the Secret in the resource's namespace.")
        String secretName,
    @Default("username") @Size(max = 253) @JsonPropertyDescription("Key holding the user name.")
        String usernameKey,
    @Default("password") @Size(max = 253) @JsonPropertyDescription("Key holding the password.")
        String passwordKey) {}
