"""lotusar.groundstation"""
