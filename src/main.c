/* vigild - placeholder until the daemon core lands. */
#include "config.h"
#include "schema.h"
#include <stdio.h>
int main(void)
{
	printf("%zu fields\n", vigil_fields()->count);
	return 0;
}
