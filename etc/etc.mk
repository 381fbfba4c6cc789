# etc: default configuration, systemd unit, logrotate.
