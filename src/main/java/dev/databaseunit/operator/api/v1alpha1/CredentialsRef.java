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
    @Default(CredentialsRef.USERNAME) @Size(max = 253) @JsonPropertyDescription("Key holding the user name.")
        String usernameKey,
    @Default(CredentialsRef.PASSWORD) @Size(max = 253) @JsonPropertyDescription("Key holding the password.")
        String passwordKey) {

  /** The keys a credentials Secret uses when the spec names none, and those the operator writes into the ones it creates. */
  public static final String USERNAME = "username";
  public static final String PASSWORD = "password";

  /** The Secret's key for the user name (the default when the spec is read without the API server's defaulting). */
  public String usernameKeyOrDefault() {
    return usernameKey != null ? usernameKey : USERNAME;
  }

  public String passwordKeyOrDefault() {
    return passwordKey != null ? passwordKey : PASSWORD;
  }
}
