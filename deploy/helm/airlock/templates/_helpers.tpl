{{/* Names. */}}
{{- define "airlock.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "airlock.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "airlock.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "airlock.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels: ctx is the root context, component one of server, worker, agent, migrate. */}}
{{- define "airlock.labels" -}}
app: airlock-{{ .component }}
app.kubernetes.io/name: {{ include "airlock.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "airlock.selectorLabels" -}}
app: airlock-{{ .component }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{- define "airlock.commonLabels" -}}
app.kubernetes.io/name: {{ include "airlock.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "airlock.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* Modes. */}}
{{- define "airlock.postgres" -}}
{{- if or .Values.database.url .Values.database.existingSecret -}}true{{- end -}}
{{- end -}}

{{- define "airlock.databaseSecret" -}}
{{- default (printf "%s-database" (include "airlock.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "airlock.secretKeySecret" -}}
{{- default (printf "%s-secret-key" (include "airlock.fullname" .)) .Values.secretKey.existingSecret -}}
{{- end -}}

{{- define "airlock.agentSecret" -}}
{{- default (printf "%s-agent" (include "airlock.fullname" .)) .Values.agent.existingSecret -}}
{{- end -}}

{{- define "airlock.publicUrl" -}}
{{- if .Values.config.publicUrl -}}
{{ .Values.config.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{ ternary "https" "http" .Values.ingress.tls.enabled }}://{{ .Values.ingress.host }}
{{- end -}}
{{- end -}}

{{/*
customCaCert as PEM: base64 of PEM (as the seeds pass it), or PEM text.
Anything else stops the install with the value named.
*/}}
{{- define "airlock.caPEM" -}}
{{- $v := trim .Values.customCaCert -}}
{{- $pem := $v -}}
{{- if not (contains "-----BEGIN CERTIFICATE-----" $v) -}}
{{- $pem = b64dec (regexReplaceAll "\\s+" $v "") -}}
{{- end -}}
{{- if not (contains "-----BEGIN CERTIFICATE-----" $pem) -}}
{{- fail "customCaCert: not a PEM certificate nor the base64 of one: give `base64 -w0 ca.pem` (--set-file customCaCert=ca.b64)" -}}
{{- end -}}
{{- $pem -}}
{{- end -}}

{{/* Checks of combinations the schema cannot express. */}}
{{- define "airlock.validate" -}}
{{- $pg := include "airlock.postgres" . -}}
{{- if and .Values.database.url .Values.database.existingSecret -}}
{{- fail "database: give url or existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.secretKey.value .Values.secretKey.existingSecret -}}
{{- fail "secretKey: give value or existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.worker.enabled (not $pg) -}}
{{- fail "worker.enabled needs PostgreSQL: set database.url or database.existingSecret (SQLite is for one server)" -}}
{{- end -}}
{{- if and .Values.server.enabled (not $pg) (gt (int .Values.server.replicas) 1) -}}
{{- fail "server.replicas > 1 needs PostgreSQL: set database.url or database.existingSecret (SQLite is for one server)" -}}
{{- end -}}
{{- if and .Values.agent.enabled (not .Values.agent.serverUrl) -}}
{{- fail "agent.serverUrl: the agent needs the airlock server's URL (https://airlock.example)" -}}
{{- end -}}
{{- if and .Values.agent.enabled (not (or .Values.agent.key .Values.agent.existingSecret)) -}}
{{- fail "agent.key or agent.existingSecret: the agent needs its key (POST /api/v1/agent-keys on the server)" -}}
{{- end -}}
{{- if and .Values.agent.key .Values.agent.existingSecret -}}
{{- fail "agent: give key or existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.host: the ingress needs the host name airlock is served at" -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.secretName: name the TLS Secret for ingress.host (or set ingress.tls.enabled=false behind a TLS-terminating proxy)" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.server.enabled) -}}
{{- fail "ingress.enabled needs server.enabled" -}}
{{- end -}}
{{- if .Values.customCaCert -}}
{{- $_ := include "airlock.caPEM" . -}}
{{- end -}}
{{- end -}}

{{/* The proxy and CA environment of every container. */}}
{{- define "airlock.networkEnv" -}}
{{- with .Values.proxy.httpProxy }}
- name: HTTP_PROXY
  value: {{ . | quote }}
- name: http_proxy
  value: {{ . | quote }}
{{- end }}
{{- with .Values.proxy.httpsProxy }}
- name: HTTPS_PROXY
  value: {{ . | quote }}
- name: https_proxy
  value: {{ . | quote }}
{{- end }}
{{- with .Values.proxy.noProxy }}
- name: NO_PROXY
  value: {{ . | quote }}
- name: no_proxy
  value: {{ . | quote }}
{{- end }}
{{- if .Values.customCaCert }}
- name: SSL_CERT_FILE
  value: /etc/ssl/certs/ca-certificates.crt
{{- end }}
- name: HOME
  value: /tmp
- name: TMPDIR
  value: /tmp
{{- end -}}

{{/* The environment of serve, worker and migrate: database and key. */}}
{{- define "airlock.platformEnv" -}}
- name: AIRLOCK_DATA_DIR
  value: /var/lib/airlock
- name: AIRLOCK_DB
  value: /var/lib/airlock/vulndb.sqlite
{{- if include "airlock.postgres" . }}
- name: AIRLOCK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "airlock.databaseSecret" . }}
      key: {{ .Values.database.existingSecretKey }}
{{- end }}
- name: AIRLOCK_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "airlock.secretKeySecret" . }}
      key: {{ .Values.secretKey.existingSecretKey }}
- name: AIRLOCK_SECRET_KEY_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ include "airlock.secretKeySecret" . }}
      key: {{ .Values.secretKey.existingSecretPreviousKey }}
      optional: true
{{- if .Values.config.file }}
- name: AIRLOCK_CONFIG
  value: /etc/airlock/config/config.yaml
{{- end }}
{{- if .Values.vulnData.trustedKeys }}
- name: AIRLOCK_TRUSTED_KEYS
  value: /etc/airlock/trusted-keys
{{- end }}
{{- end -}}

{{/* Volume mounts of every container; data: mount the data volume. */}}
{{- define "airlock.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .data }}
- name: data
  mountPath: /var/lib/airlock
{{- end }}
{{- if .ctx.Values.customCaCert }}
- name: ca-bundle
  mountPath: /etc/ssl/certs
  readOnly: true
{{- end }}
{{- if and .data .ctx.Values.config.file }}
- name: config
  mountPath: /etc/airlock/config
  readOnly: true
{{- end }}
{{- if and .data .ctx.Values.vulnData.trustedKeys }}
- name: trusted-keys
  mountPath: /etc/airlock/trusted-keys
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Volumes of a pod. data: the data volume (the SQLite PVC, else an emptyDir).
*/}}
{{- define "airlock.volumes" -}}
{{- $full := include "airlock.fullname" .ctx -}}
- name: tmp
  emptyDir: {}
{{- if .data }}
{{- if and (not (include "airlock.postgres" .ctx)) .ctx.Values.persistence.enabled }}
- name: data
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-data" $full) .ctx.Values.persistence.existingClaim }}
{{- else }}
- name: data
  emptyDir: {}
{{- end }}
{{- end }}
{{- if .ctx.Values.customCaCert }}
- name: ca-bundle
  emptyDir: {}
- name: custom-ca
  configMap:
    name: {{ $full }}-ca
{{- end }}
{{- if and .data .ctx.Values.config.file }}
- name: config
  configMap:
    name: {{ $full }}-config-file
{{- end }}
{{- if and .data .ctx.Values.vulnData.trustedKeys }}
- name: trusted-keys
  configMap:
    name: {{ $full }}-trusted-keys
{{- end }}
{{- end -}}

{{/*
Init containers: the CA bundle (the image's system bundle plus
customCaCert, so Go, git and libpq-style clients all trust it), then, for
scanning pods, `airlock db sync` of vulnData.syncUrls.
*/}}
{{- define "airlock.initContainers" -}}
{{- $v := .ctx.Values -}}
{{- if $v.customCaCert }}
- name: ca-bundle
  image: {{ include "airlock.image" .ctx }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  command: ["/bin/sh", "-c", "cat /etc/ssl/certs/ca-certificates.crt /etc/airlock/custom-ca/ca.crt > /ca-bundle/ca-certificates.crt"]
  env:
    {{- include "airlock.networkEnv" .ctx | trim | nindent 4 }}
  securityContext: {{- toYaml $v.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {cpu: 100m, memory: 64Mi}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    - name: ca-bundle
      mountPath: /ca-bundle
    - name: custom-ca
      mountPath: /etc/airlock/custom-ca
      readOnly: true
{{- end }}
{{- if and .sync $v.vulnData.syncUrls }}
- name: db-sync
  image: {{ include "airlock.image" .ctx }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args: {{- toYaml (concat (list "db" "sync") $v.vulnData.syncUrls) | nindent 4 }}
  env:
    {{- include "airlock.networkEnv" .ctx | trim | nindent 4 }}
    {{- include "airlock.platformEnv" .ctx | trim | nindent 4 }}
  securityContext: {{- toYaml $v.securityContext | nindent 4 }}
  resources:
    requests: {cpu: 100m, memory: 256Mi}
    limits: {cpu: "1", memory: 1Gi}
  volumeMounts:
    {{- include "airlock.volumeMounts" (dict "ctx" .ctx "data" true) | nindent 4 }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every pod. */}}
{{- define "airlock.podCommon" -}}
serviceAccountName: {{ include "airlock.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
