# plugins: one folder a plugin; each adds itself here.
