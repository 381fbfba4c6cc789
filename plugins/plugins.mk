# plugins/plugins.mk - one folder a plugin, each with its own fragment;
# plugins/common/ holds what several of them compile in.
include $(srcdir)/plugins/common/common.mk
include $(srcdir)/plugins/rules/rules.mk
include $(srcdir)/plugins/file_sink/file_sink.mk
include $(srcdir)/plugins/forward/forward.mk
include $(srcdir)/plugins/syslog/syslog.mk
include $(srcdir)/plugins/http/http.mk
include $(srcdir)/plugins/store/store.mk
