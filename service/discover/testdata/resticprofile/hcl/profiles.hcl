default {
    repository = "local:/backup/default"
    password-file = "key"
}
