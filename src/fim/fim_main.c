/*
 * fim_main.c - vigil-fim, a small driver for the `fim` commands until
 * vigilctl links vigil_fim_cli(): `vigil-fim baseline|check|update ...`.
 */
#include "config.h"

#include "fim.h"

int main(int argc, char **argv)
{
	vigil_log_setup(VIGIL_LOG_STDERR, VIGIL_LOG_WARNING, "vigil-fim");
	argv[0] = (char *)"fim";
	return vigil_fim_cli(argc, argv);
}
